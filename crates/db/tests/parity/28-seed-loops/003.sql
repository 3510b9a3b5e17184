-- After the seed calls, guarded DDL must still be decided exactly.
-- tenants exists: skipped with a notice (the bigint column is not added).
CREATE TABLE IF NOT EXISTS tenants (id bigint, extra text);
CREATE TABLE IF NOT EXISTS audit_log (id bigserial PRIMARY KEY, tenant_id int REFERENCES tenants, created_by text);
-- creator exists: skipped; updated_at is new.
ALTER TABLE settings ADD COLUMN IF NOT EXISTS creator varchar(10);
ALTER TABLE settings ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();
DO $$
BEGIN
  -- dropped_at exists: the branch does not run.
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = 'settings' AND column_name = 'dropped_at') THEN
    ALTER TABLE settings ADD COLUMN dropped_on date;
  END IF;
  -- archived does not exist: the branch runs.
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = 'settings' AND column_name = 'archived') THEN
    ALTER TABLE settings ADD COLUMN archived boolean NOT NULL DEFAULT false;
  END IF;
  -- audit_log exists: no fallback table.
  IF to_regclass('public.audit_log') IS NULL THEN
    CREATE TABLE audit_log_fallback (id int);
  END IF;
  -- tenant_quotas does not exist yet: created.
  IF to_regclass('public.tenant_quotas') IS NULL THEN
    CREATE TABLE tenant_quotas (tenant_id int PRIMARY KEY REFERENCES tenants, quota int CHECK (quota >= 0));
  END IF;
END $$;
