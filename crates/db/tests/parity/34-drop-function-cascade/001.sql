-- Server catalog after this set (PostgreSQL 15.18):
--   codes: id integer NOT NULL, code text NOT NULL (no default), alt text (no default), other text,
--     plain text DEFAULT 'keep'::text; the generated column valid is dropped.
--   constraints: codes_pkey, codes_plain_check CHECK ((plain <> ''::text)); codes_code_ok and
--     codes_other_check are dropped.
--   indexes: codes_pkey, codes_plain; codes_fn_idx and codes_partial are dropped; the view is dropped.
--   picks: a integer (no default), b text DEFAULT pick('b'::text); picks_a_check is dropped.
--   functions: wrapper(text), pick(text).
-- DROP FUNCTION ... CASCADE drops what depends on the function: a column DEFAULT (the column
-- stays, without a default), a CHECK constraint (the whole constraint), an index on an
-- expression or with a predicate calling it, and a generated column (the whole column).
-- A function whose body merely calls it (not a BEGIN ATOMIC body) does not depend on it.
CREATE FUNCTION default_code() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE FUNCTION is_valid_code(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 <> '' $$;
CREATE FUNCTION wrapper(text) RETURNS boolean LANGUAGE sql AS $$ SELECT is_valid_code($1) $$;
CREATE TABLE codes (
  id int PRIMARY KEY,
  code text NOT NULL DEFAULT default_code(),
  alt text DEFAULT upper(default_code()),
  other text,
  plain text DEFAULT 'keep',
  valid boolean GENERATED ALWAYS AS (is_valid_code(other)) STORED,
  CONSTRAINT codes_code_ok CHECK (is_valid_code(code)),
  CHECK (is_valid_code(other) AND other <> 'z'),
  CHECK (plain <> '')
);
CREATE INDEX codes_fn_idx ON codes (is_valid_code(code));
CREATE INDEX codes_partial ON codes (id) WHERE is_valid_code(other);
CREATE INDEX codes_plain ON codes (plain);
CREATE VIEW valid_codes AS SELECT id FROM codes WHERE is_valid_code(code);
DROP FUNCTION default_code() CASCADE;
DROP FUNCTION is_valid_code(text) CASCADE;
-- An overloaded name: only the signature given is dropped.
CREATE FUNCTION pick(int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT $1 $$;
CREATE FUNCTION pick(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1 $$;
CREATE TABLE picks (a int DEFAULT pick(1), b text DEFAULT pick('b'::text), CHECK (pick(a) > 0));
DROP FUNCTION pick(int) CASCADE;
