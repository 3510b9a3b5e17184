-- Server catalog after this set (PostgreSQL 15.18), statements in autocommit as in the parity test:
--   other: inside_a (+ inside_a_pkey, inside_a_id_idx), inside_b, other_fn(), after_session_set, persisted
--   public: after_a, after_b, outside_local, outside_set_local (WARNING: SET LOCAL can only be used in
--     transaction blocks), after_rollback, dumped (+ dumped_pkey), last_one
--   no rolled_back anywhere.
--   after_a_a_id_fkey: FOREIGN KEY (a_id) REFERENCES other.inside_a(id)
--   inside_b_a_id_fkey REFERENCES other.inside_a(id); inside_b_after_id_fkey REFERENCES public.after_a(id)
-- Transaction-local search_path: set_config(..., true) and SET LOCAL last until COMMIT or
-- ROLLBACK; set_config(..., false) and plain SET last for the session (unless rolled back).
CREATE SCHEMA other;
BEGIN;
SELECT set_config('search_path', 'other, public', true);
CREATE TABLE inside_a (id int PRIMARY KEY);
CREATE INDEX ON inside_a (id);
COMMIT;
-- Back to public after COMMIT.
CREATE TABLE after_a (id int PRIMARY KEY, a_id int REFERENCES other.inside_a);
BEGIN;
SET LOCAL search_path = other, public;
CREATE TABLE inside_b (id int PRIMARY KEY, a_id int REFERENCES inside_a, after_id int REFERENCES after_a);
CREATE FUNCTION other_fn() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
COMMIT;
CREATE TABLE after_b (id int);
-- Outside a transaction block the local setting ends with its own statement.
SELECT set_config('search_path', 'other', true);
CREATE TABLE outside_local (id int);
SET LOCAL search_path = other;
CREATE TABLE outside_set_local (id int);
-- A session SET inside a rolled-back transaction is undone with it.
BEGIN;
SET search_path = other;
CREATE TABLE rolled_back (id int);
ROLLBACK;
CREATE TABLE after_rollback (id int);
-- A session SET inside a committed transaction persists.
BEGIN;
SET search_path = other, public;
COMMIT;
CREATE TABLE after_session_set (id int);
RESET search_path;
-- is_local = false persists for the session, like SET.
SELECT set_config('search_path', 'other, public', false);
CREATE TABLE persisted (id int);
-- pg_dump's preamble empties the path; everything after it is schema-qualified.
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.dumped (id integer NOT NULL, other_id integer);
ALTER TABLE ONLY public.dumped ADD CONSTRAINT dumped_pkey PRIMARY KEY (id);
SELECT pg_catalog.set_config('search_path', 'public', false);
CREATE TABLE last_one (id int);
-- RESET ALL puts search_path back to its default.
SELECT set_config('search_path', 'other', false);
RESET ALL;
CREATE TABLE after_reset_all (id int);
