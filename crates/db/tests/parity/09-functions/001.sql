CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, label varchar(20));
CREATE FUNCTION bump(p_id int, p_by int DEFAULT 1) RETURNS void LANGUAGE sql AS $$ UPDATE counters SET n = n + p_by WHERE id = p_id $$;
CREATE FUNCTION bump(p_id bigint) RETURNS void LANGUAGE sql AS $$ UPDATE counters SET n = n + 1 WHERE id = p_id $$;
CREATE OR REPLACE FUNCTION label_of(p_id int, OUT label varchar, OUT n int) LANGUAGE sql AS $$ SELECT label, n FROM counters WHERE id = p_id $$;
CREATE FUNCTION total(VARIADIC xs int[]) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT sum(x)::int FROM unnest(xs) x $$;
CREATE FUNCTION secure_bump(p_id int) RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  UPDATE counters SET n = n + 1 WHERE id = p_id;
END;
$$;
CREATE FUNCTION rows_of() RETURNS TABLE (id int, n int) LANGUAGE sql STABLE AS $$ SELECT id, n FROM counters $$;
CREATE PROCEDURE reset_all(p_to int) LANGUAGE sql AS $$ UPDATE counters SET n = p_to $$;
CREATE FUNCTION typed(p counters.label%TYPE, q varchar(5), r numeric(4,2), s timestamptz) RETURNS text LANGUAGE sql AS $$ SELECT p $$;
CREATE FUNCTION trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER counters_trig BEFORE INSERT OR UPDATE ON counters FOR EACH ROW EXECUTE FUNCTION trig();
DROP FUNCTION bump(bigint);
CREATE FUNCTION to_drop(text) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
DROP FUNCTION to_drop;
DROP FUNCTION IF EXISTS never_existed(int);
CREATE FUNCTION to_rename(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$;
ALTER FUNCTION to_rename(int) RENAME TO renamed;
ALTER FUNCTION renamed(int) SECURITY DEFINER;
