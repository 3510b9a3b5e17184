-- Data-only dynamic SQL: the strings are DML (an UPDATE built with format(), a constant
-- UPDATE with USING parameters inside a loop over rows). Guards after them are still exact.
CREATE FUNCTION bump_counts(p_table text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('UPDATE %I SET execute_count = execute_count + 1, altered_at = now()', p_table);
END;
$$;
SELECT bump_counts('settings');
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT id FROM tenants LOOP
    EXECUTE 'UPDATE settings SET created_by = $1 WHERE tenant_id = $2' USING 'drop_job', r.id;
  END LOOP;
END $$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'settings' AND column_name = 'execute_count') THEN
    ALTER TABLE settings ADD COLUMN execute_count_v2 int;
  END IF;
  IF to_regclass('public.seed_runs') IS NULL THEN
    CREATE TABLE seed_runs (id int PRIMARY KEY, ran_at timestamptz NOT NULL DEFAULT now());
  END IF;
END $$;
-- seed_runs exists (int id): skipped; note is added.
CREATE TABLE IF NOT EXISTS seed_runs (id bigint);
ALTER TABLE seed_runs ADD COLUMN IF NOT EXISTS note text;
