-- What a Supabase project's database has before its first migration runs: roles, the platform's
-- schemas (auth, storage, realtime, vault, extensions, supabase_functions), their tables,
-- types and functions as migrations use them, the supabase_realtime publication and the
-- extensions Supabase installs. Replayed before a project's migrations on a throwaway server
-- (`pgvet schema --dev-db`, `pgvet oracle`). Function bodies are placeholders with the real
-- signatures; nothing here is run for its data.
DO $$ BEGIN
  PERFORM 1;
  BEGIN CREATE ROLE anon NOLOGIN NOINHERIT; EXCEPTION WHEN duplicate_object THEN NULL; END;
  BEGIN CREATE ROLE authenticated NOLOGIN NOINHERIT; EXCEPTION WHEN duplicate_object THEN NULL; END;
  BEGIN CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS; EXCEPTION WHEN duplicate_object THEN NULL; END;
  BEGIN CREATE ROLE authenticator NOINHERIT LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END;
  BEGIN CREATE ROLE supabase_admin SUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END;
  BEGIN CREATE ROLE supabase_auth_admin NOINHERIT CREATEROLE LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END;
  BEGIN CREATE ROLE supabase_storage_admin NOINHERIT CREATEROLE LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END;
  BEGIN CREATE ROLE supabase_realtime_admin NOINHERIT NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END;
  BEGIN CREATE ROLE dashboard_user NOSUPERUSER CREATEDB CREATEROLE REPLICATION; EXCEPTION WHEN duplicate_object THEN NULL; END;
  BEGIN CREATE ROLE pgbouncer LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END;
  BEGIN CREATE ROLE supabase_functions_admin NOINHERIT CREATEROLE LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END;
END $$;
GRANT anon, authenticated, service_role TO authenticator;

CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION supabase_auth_admin;
CREATE SCHEMA IF NOT EXISTS storage AUTHORIZATION supabase_storage_admin;
CREATE SCHEMA IF NOT EXISTS realtime;
CREATE SCHEMA IF NOT EXISTS graphql;
CREATE SCHEMA IF NOT EXISTS graphql_public;
CREATE SCHEMA IF NOT EXISTS supabase_functions AUTHORIZATION supabase_admin;
GRANT USAGE ON SCHEMA public, extensions, auth, storage, graphql_public TO anon, authenticated, service_role;

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements WITH SCHEMA extensions;
-- Extensions Supabase has installed (those this server provides).
DO $$ DECLARE e text; BEGIN
  FOREACH e IN ARRAY ARRAY['pgjwt', 'pg_graphql', 'supabase_vault'] LOOP
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = e) THEN
      -- pg_graphql and supabase_vault live in schemas of their own (their control files say which).
      IF e = 'pgjwt' THEN
        EXECUTE format('CREATE EXTENSION IF NOT EXISTS %I WITH SCHEMA extensions', e);
      ELSE
        EXECUTE format('CREATE EXTENSION IF NOT EXISTS %I', e);
      END IF;
    END IF;
  END LOOP;
END $$;
-- Vault without the extension: its schema and API.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'vault') THEN
    CREATE SCHEMA vault;
    CREATE TABLE vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text, description text NOT NULL DEFAULT '',
      secret text NOT NULL, key_id uuid, nonce bytea, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
    CREATE UNIQUE INDEX secrets_name_idx ON vault.secrets (name) WHERE name IS NOT NULL;
    CREATE VIEW vault.decrypted_secrets AS SELECT *, secret AS decrypted_secret FROM vault.secrets;
    CREATE FUNCTION vault.create_secret(new_secret text, new_name text DEFAULT NULL, new_description text DEFAULT '', new_key_id uuid DEFAULT NULL)
      RETURNS uuid LANGUAGE sql AS 'INSERT INTO vault.secrets (secret, name, description) VALUES (new_secret, new_name, new_description) RETURNING id';
    CREATE FUNCTION vault.update_secret(secret_id uuid, new_secret text DEFAULT NULL, new_name text DEFAULT NULL, new_description text DEFAULT NULL, new_key_id uuid DEFAULT NULL)
      RETURNS void LANGUAGE sql AS 'UPDATE vault.secrets SET secret = coalesce(new_secret, secret), name = coalesce(new_name, name), description = coalesce(new_description, description) WHERE id = secret_id';
  END IF;
END $$;

-- auth (GoTrue)
CREATE TYPE auth.aal_level AS ENUM ('aal1', 'aal2', 'aal3');
CREATE TYPE auth.factor_type AS ENUM ('totp', 'webauthn', 'phone');
CREATE TYPE auth.factor_status AS ENUM ('unverified', 'verified');
CREATE TYPE auth.code_challenge_method AS ENUM ('s256', 'plain');
CREATE TYPE auth.one_time_token_type AS ENUM ('confirmation_token', 'reauthentication_token', 'recovery_token', 'email_change_token_new', 'email_change_token_current', 'phone_change_token');
CREATE TABLE auth.instances (id uuid PRIMARY KEY, uuid uuid, raw_base_config text, created_at timestamptz, updated_at timestamptz);
CREATE TABLE auth.users (
  instance_id uuid,
  id uuid PRIMARY KEY,
  aud character varying(255),
  role character varying(255),
  email character varying(255),
  encrypted_password character varying(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token character varying(255),
  confirmation_sent_at timestamptz,
  recovery_token character varying(255),
  recovery_sent_at timestamptz,
  email_change_token_new character varying(255),
  email_change character varying(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text UNIQUE DEFAULT NULL,
  phone_confirmed_at timestamptz,
  phone_change text DEFAULT '',
  phone_change_token character varying(255) DEFAULT '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
  email_change_token_current character varying(255) DEFAULT '',
  email_change_confirm_status smallint DEFAULT 0 CHECK (email_change_confirm_status >= 0 AND email_change_confirm_status <= 2),
  banned_until timestamptz,
  reauthentication_token character varying(255) DEFAULT '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean NOT NULL DEFAULT false,
  deleted_at timestamptz,
  is_anonymous boolean NOT NULL DEFAULT false
);
CREATE INDEX users_instance_id_idx ON auth.users (instance_id);
CREATE INDEX users_instance_id_email_idx ON auth.users (instance_id, lower(email::text));
CREATE TABLE auth.identities (
  provider_id text NOT NULL,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  identity_data jsonb NOT NULL,
  provider text NOT NULL,
  last_sign_in_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  email text GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED,
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  UNIQUE (provider_id, provider)
);
CREATE INDEX identities_user_id_idx ON auth.identities (user_id);
CREATE TABLE auth.sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  created_at timestamptz,
  updated_at timestamptz,
  factor_id uuid,
  aal auth.aal_level,
  not_after timestamptz,
  refreshed_at timestamp,
  user_agent text,
  ip inet,
  tag text
);
CREATE INDEX sessions_user_id_idx ON auth.sessions (user_id);
CREATE TABLE auth.refresh_tokens (
  instance_id uuid,
  id bigserial PRIMARY KEY,
  token character varying(255) UNIQUE,
  user_id character varying(255),
  revoked boolean,
  created_at timestamptz,
  updated_at timestamptz,
  parent character varying(255),
  session_id uuid REFERENCES auth.sessions (id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_session_id_idx ON auth.refresh_tokens (session_id);
CREATE TABLE auth.mfa_factors (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  friendly_name text,
  factor_type auth.factor_type NOT NULL,
  status auth.factor_status NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  secret text,
  phone text,
  last_challenged_at timestamptz UNIQUE
);
CREATE INDEX factor_id_created_at_idx ON auth.mfa_factors (user_id, created_at);
CREATE TABLE auth.mfa_challenges (
  id uuid PRIMARY KEY,
  factor_id uuid NOT NULL REFERENCES auth.mfa_factors (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  verified_at timestamptz,
  ip_address inet NOT NULL,
  otp_code text
);
CREATE INDEX mfa_challenge_created_at_idx ON auth.mfa_challenges (created_at DESC);
CREATE TABLE auth.mfa_amr_claims (
  session_id uuid NOT NULL REFERENCES auth.sessions (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  authentication_method text NOT NULL,
  id uuid PRIMARY KEY,
  UNIQUE (session_id, authentication_method)
);
CREATE TABLE auth.audit_log_entries (instance_id uuid, id uuid PRIMARY KEY, payload json, created_at timestamptz, ip_address character varying(64) NOT NULL DEFAULT '');
CREATE TABLE auth.schema_migrations (version character varying(255) PRIMARY KEY);
CREATE TABLE auth.flow_state (
  id uuid PRIMARY KEY, user_id uuid, auth_code text NOT NULL, code_challenge_method auth.code_challenge_method NOT NULL, code_challenge text NOT NULL,
  provider_type text NOT NULL, provider_access_token text, provider_refresh_token text, created_at timestamptz, updated_at timestamptz,
  authentication_method text NOT NULL, auth_code_issued_at timestamptz
);
CREATE TABLE auth.sso_providers (id uuid PRIMARY KEY, resource_id text, created_at timestamptz, updated_at timestamptz);
CREATE TABLE auth.sso_domains (id uuid PRIMARY KEY, sso_provider_id uuid NOT NULL REFERENCES auth.sso_providers (id) ON DELETE CASCADE, domain text NOT NULL,
  created_at timestamptz, updated_at timestamptz);
CREATE TABLE auth.saml_providers (id uuid PRIMARY KEY, sso_provider_id uuid NOT NULL REFERENCES auth.sso_providers (id) ON DELETE CASCADE,
  entity_id text NOT NULL UNIQUE, metadata_xml text NOT NULL, metadata_url text, attribute_mapping jsonb, created_at timestamptz, updated_at timestamptz, name_id_format text);
CREATE TABLE auth.one_time_tokens (
  id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE, token_type auth.one_time_token_type NOT NULL,
  token_hash text NOT NULL CHECK (char_length(token_hash) > 0), relates_to text NOT NULL,
  created_at timestamp without time zone NOT NULL DEFAULT now(), updated_at timestamp without time zone NOT NULL DEFAULT now()
);
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$
  SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$f$;
CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $f$
  SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text
$f$;
CREATE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $f$
  SELECT coalesce(nullif(current_setting('request.jwt.claim.email', true), ''), (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email'))::text
$f$;
CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $f$
  SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''), nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$f$;
GRANT USAGE ON SCHEMA auth TO postgres;
GRANT SELECT ON ALL TABLES IN SCHEMA auth TO postgres, dashboard_user;
GRANT EXECUTE ON FUNCTION auth.uid(), auth.role(), auth.email(), auth.jwt() TO anon, authenticated, service_role;

-- storage
CREATE TABLE storage.buckets (
  id text PRIMARY KEY,
  name text NOT NULL,
  owner uuid,
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now(),
  public boolean DEFAULT false,
  avif_autodetection boolean DEFAULT false,
  file_size_limit bigint,
  allowed_mime_types text[],
  owner_id text
);
CREATE UNIQUE INDEX bname ON storage.buckets (name);
CREATE TABLE storage.objects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  bucket_id text REFERENCES storage.buckets (id),
  name text,
  owner uuid,
  created_at timestamptz DEFAULT now(),
  updated_at timestamptz DEFAULT now(),
  last_accessed_at timestamptz DEFAULT now(),
  metadata jsonb,
  path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
  version text,
  owner_id text,
  user_metadata jsonb
);
CREATE UNIQUE INDEX bucketid_objname ON storage.objects (bucket_id, name);
CREATE INDEX name_prefix_search ON storage.objects (name text_pattern_ops);
CREATE TABLE storage.migrations (id integer PRIMARY KEY, name character varying(100) NOT NULL UNIQUE, hash character varying(40) NOT NULL,
  executed_at timestamp DEFAULT CURRENT_TIMESTAMP);
CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE plpgsql AS $f$
DECLARE _parts text[];
BEGIN
  SELECT string_to_array(name, '/') INTO _parts;
  RETURN _parts[1:array_length(_parts, 1) - 1];
END $f$;
CREATE FUNCTION storage.filename(name text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE _parts text[];
BEGIN
  SELECT string_to_array(name, '/') INTO _parts;
  RETURN _parts[array_length(_parts, 1)];
END $f$;
CREATE FUNCTION storage.extension(name text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE _parts text[]; _filename text;
BEGIN
  SELECT string_to_array(name, '/') INTO _parts;
  SELECT _parts[array_length(_parts, 1)] INTO _filename;
  RETURN reverse(split_part(reverse(_filename), '.', 1));
END $f$;
CREATE FUNCTION storage.get_size_by_bucket() RETURNS TABLE (size bigint, bucket_id text) LANGUAGE sql STABLE AS $f$
  SELECT sum((metadata ->> 'size')::int), bucket_id FROM storage.objects GROUP BY bucket_id
$f$;
CREATE FUNCTION storage.search(prefix text, bucketname text, limits int DEFAULT 100, levels int DEFAULT 1, offsets int DEFAULT 0,
  search text DEFAULT '', sortcolumn text DEFAULT 'name', sortorder text DEFAULT 'asc')
  RETURNS TABLE (name text, id uuid, updated_at timestamptz, created_at timestamptz, last_accessed_at timestamptz, metadata jsonb)
  LANGUAGE sql STABLE AS $f$ SELECT name, id, updated_at, created_at, last_accessed_at, metadata FROM storage.objects WHERE bucket_id = bucketname LIMIT limits $f$;
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
GRANT ALL ON ALL TABLES IN SCHEMA storage TO anon, authenticated, service_role, postgres;
GRANT ALL ON ALL FUNCTIONS IN SCHEMA storage TO anon, authenticated, service_role, postgres;

-- realtime
CREATE TABLE realtime.messages (
  topic text NOT NULL,
  extension text NOT NULL,
  payload jsonb,
  event text,
  private boolean DEFAULT false,
  updated_at timestamp without time zone NOT NULL DEFAULT now(),
  inserted_at timestamp without time zone NOT NULL DEFAULT now(),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  PRIMARY KEY (id, inserted_at)
) PARTITION BY RANGE (inserted_at);
ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
CREATE TABLE realtime.schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0) without time zone);
CREATE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE AS $f$ SELECT nullif(current_setting('realtime.topic', true), '')::text $f$;
CREATE FUNCTION realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  INSERT INTO realtime.messages (payload, event, topic, private, extension) VALUES (payload, event, topic, private, 'broadcast');
END $f$;
CREATE FUNCTION realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text DEFAULT 'ROW') RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  PERFORM realtime.send(jsonb_build_object('operation', operation, 'table', table_name, 'schema', table_schema), event_name, topic_name);
END $f$;
GRANT USAGE ON SCHEMA realtime TO postgres, anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE ON realtime.messages TO postgres, anon, authenticated, service_role;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'supabase_realtime') THEN
    CREATE PUBLICATION supabase_realtime;
  END IF;
END $$;

-- Database webhooks (supabase_functions)
CREATE TABLE supabase_functions.migrations (version text PRIMARY KEY, inserted_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE supabase_functions.hooks (id bigserial PRIMARY KEY, hook_table_id integer NOT NULL, hook_name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(), request_id bigint);
CREATE FUNCTION supabase_functions.http_request() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  RETURN NEW;
END $f$;
GRANT USAGE ON SCHEMA supabase_functions TO postgres, anon, authenticated, service_role;

ALTER DATABASE pgvet_dev SET search_path TO "$user", public, extensions;
SET search_path TO "$user", public, extensions;
