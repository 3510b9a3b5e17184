CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE TABLE accounts (id bigint PRIMARY KEY, user_id bigint);
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users' AND column_name = 'name') THEN
    ALTER TABLE users ADD COLUMN name text;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email') THEN
    ALTER TABLE users ADD COLUMN email_address text;
  END IF;
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email') THEN
    ALTER TABLE users RENAME COLUMN email TO email_address;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'accounts_user_id_fkey') THEN
    ALTER TABLE accounts ADD CONSTRAINT accounts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'accounts_user_id_idx') THEN
    CREATE INDEX accounts_user_id_idx ON accounts (user_id);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typname = 'role' AND n.nspname = 'public') THEN
    CREATE TYPE role AS ENUM ('owner', 'member');
  END IF;
  IF (SELECT count(*) FROM information_schema.table_constraints WHERE table_name = 'users' AND constraint_type = 'UNIQUE') = 0 THEN
    ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email_address);
  END IF;
  IF to_regclass('public.audit') IS NULL THEN
    CREATE TABLE audit (id bigint, role role);
  END IF;
END $$;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('users', 'accounts') LOOP
    EXECUTE format('ALTER TABLE %I ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now()', r.table_name);
  END LOOP;
END $$;
