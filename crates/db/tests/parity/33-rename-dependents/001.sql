-- Server catalog after this set (PostgreSQL 15.18):
--   gadgets.id DEFAULT nextval('widgets_id_seq'::regclass) (the sequence keeps its name), PK widgets_pkey
--   tickets.id DEFAULT nextval('sequences.ticket_seq'::regclass),
--   tickets.other DEFAULT (nextval('sequences.ticket_seq'::regclass) + 1)
--   parts.id DEFAULT nextval('part_numbers'::regclass)
--   people.m feeling DEFAULT 'glad'::feeling, m2 DEFAULT 'sad'::feeling, ms feeling[] DEFAULT ARRAY['glad'::feeling]
--   people_not_sad: CHECK ((m <> 'sad'::feeling))
--   people_m2_in: CHECK ((m2 = ANY (ARRAY['glad'::feeling, 'sad'::feeling])))
--   people_happy: ... USING btree (id) WHERE (m = 'glad'::feeling)
--   codes.code DEFAULT make_code(); codes_code_check: CHECK (code_ok(code))
--   ranges_check: CHECK ((low < high)); ranges.width GENERATED ALWAYS AS ((high - low)) STORED
--   ranges_email_lower: ... USING btree (lower(mail)); ranges_live: ... (low) WHERE ((removed_at IS NULL) AND (high > 0))
-- Renames the server carries into stored expressions: defaults, CHECKs, generated columns,
-- index expressions and predicates hold OIDs and attribute numbers, not names, so they are
-- shown with the new names.
-- A serial column's table is renamed: its sequence keeps the name widgets_id_seq.
CREATE TABLE widgets (id serial PRIMARY KEY, n int);
ALTER TABLE widgets RENAME TO gadgets;
-- Renaming the sequence itself (ALTER SEQUENCE and ALTER TABLE both work) changes the default's text.
CREATE SEQUENCE counter_seq;
CREATE TABLE tickets (id int DEFAULT nextval('counter_seq'), other int DEFAULT nextval('counter_seq'::regclass) + 1);
ALTER SEQUENCE counter_seq RENAME TO ticket_seq;
CREATE TABLE parts (id serial PRIMARY KEY);
ALTER TABLE parts_id_seq RENAME TO part_numbers;
-- Moving the sequence to another schema, then renaming that schema.
CREATE SCHEMA seqs;
ALTER SEQUENCE ticket_seq SET SCHEMA seqs;
ALTER SCHEMA seqs RENAME TO sequences;
-- Enum values and the enum type itself.
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE people (
  id int PRIMARY KEY,
  m mood DEFAULT 'happy',
  m2 mood DEFAULT 'sad'::mood,
  ms mood[] DEFAULT ARRAY['happy'::mood],
  CONSTRAINT people_not_sad CHECK (m <> 'sad'),
  CONSTRAINT people_m2_in CHECK (m2 IN ('happy', 'sad'))
);
CREATE INDEX people_happy ON people (id) WHERE m = 'happy';
ALTER TYPE mood RENAME VALUE 'happy' TO 'glad';
ALTER TYPE mood RENAME TO feeling;
-- A function used in a default and a CHECK is renamed.
CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c' $$;
CREATE FUNCTION is_code(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 <> '' $$;
CREATE TABLE codes (code text DEFAULT next_code() CHECK (is_code(code)));
ALTER FUNCTION next_code() RENAME TO make_code;
ALTER FUNCTION is_code(text) RENAME TO code_ok;
-- Columns used in a CHECK, a generated column, an index expression and a partial index predicate.
CREATE TABLE ranges (
  id int PRIMARY KEY,
  lo int,
  hi int,
  email text,
  deleted_at timestamptz,
  width int GENERATED ALWAYS AS (hi - lo) STORED,
  CHECK (lo < hi)
);
CREATE INDEX ranges_email_lower ON ranges (lower(email));
CREATE INDEX ranges_live ON ranges (lo) WHERE deleted_at IS NULL AND hi > 0;
ALTER TABLE ranges RENAME COLUMN lo TO low;
ALTER TABLE ranges RENAME COLUMN hi TO high;
ALTER TABLE ranges RENAME COLUMN email TO mail;
ALTER TABLE ranges RENAME COLUMN deleted_at TO removed_at;
