-- Server catalog after this set (PostgreSQL 15.18): no data-only call changes the schema.
--   tenants (id integer NOT NULL, name text NOT NULL) only: CREATE TABLE IF NOT EXISTS tenants is skipped.
--   settings.creator stays text (ADD COLUMN IF NOT EXISTS skipped); new columns:
--     updated_at timestamp with time zone DEFAULT now(), archived boolean NOT NULL DEFAULT false;
--     no dropped_on, no execute_count_v2 (their guards are false).
--   audit_log.id bigint NOT NULL DEFAULT nextval('audit_log_id_seq'::regclass); no audit_log_fallback.
--   tenant_quotas_quota_check: CHECK ((quota >= 0)).
--   seed_runs (id integer NOT NULL, ran_at timestamptz NOT NULL DEFAULT now(), note text): the DO
--     block's CREATE wins, CREATE TABLE IF NOT EXISTS seed_runs (id bigint) is skipped.
--   functions: seed_tenant(integer), seed_all_tenants(), mark_dropped(text), tenant_settings(integer),
--     creators(), bump_counts(text).
-- Seed loops: plpgsql that only moves data. The function bodies name columns such as
-- created_by, altered_at, dropped_at, execute_count and creator, so a text search for
-- create/alter/drop/execute matches them; the server changes no schema when they run.
CREATE TABLE tenants (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE settings (
  tenant_id int NOT NULL REFERENCES tenants,
  key text NOT NULL,
  value text,
  created_by text,
  altered_at timestamptz,
  dropped_at timestamptz,
  execute_count int NOT NULL DEFAULT 0,
  creator text,
  PRIMARY KEY (tenant_id, key)
);
INSERT INTO tenants VALUES (1, 'create'), (2, 'drop table x');
CREATE FUNCTION seed_tenant(p_id int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO settings (tenant_id, key, value, created_by, altered_at, dropped_at, execute_count, creator)
  VALUES (p_id, 'theme', 'dark', 'create_user', now(), NULL, 0, 'alter ego')
  ON CONFLICT (tenant_id, key) DO UPDATE SET altered_at = now(), execute_count = settings.execute_count + 1;
END;
$$;
CREATE FUNCTION seed_all_tenants() RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT id FROM tenants LOOP
    PERFORM seed_tenant(r.id);
  END LOOP;
END;
$$;
SELECT seed_all_tenants();
SELECT seed_all_tenants();
