-- The same kind of data work as a SQL-language function, through PERFORM in a DO block, as a
-- FOR loop over a table's rows directly in a DO block, and as a RETURNS TABLE function.
CREATE FUNCTION mark_dropped(p_key text) RETURNS bigint LANGUAGE sql AS $$
  UPDATE settings SET dropped_at = now(), execute_count = execute_count + 1 WHERE key = p_key;
  SELECT count(*) FROM settings WHERE dropped_at IS NOT NULL;
$$;
SELECT mark_dropped('theme');
INSERT INTO tenants VALUES (3, 'alter');
DO $$
BEGIN
  PERFORM seed_tenant(3);
  PERFORM mark_dropped('lang');
END $$;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM tenants LOOP
    INSERT INTO settings (tenant_id, key, value, creator) VALUES (r.id, 'lang', 'en', 'drop_bot')
    ON CONFLICT DO NOTHING;
    UPDATE settings SET created_by = 'execute', altered_at = now() WHERE tenant_id = r.id;
  END LOOP;
END $$;
CREATE FUNCTION tenant_settings(p_id int)
RETURNS TABLE (key text, created_by text, execute_count int) LANGUAGE sql STABLE AS $$
  SELECT s.key, s.created_by, s.execute_count FROM settings s WHERE s.tenant_id = p_id
$$;
CREATE FUNCTION creators() RETURNS TABLE (creator text, n bigint) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT s.creator, count(*) FROM settings s GROUP BY s.creator;
END;
$$;
SELECT * FROM tenant_settings(1);
SELECT count(*) FROM creators();
