-- Expressions as the server stores them: interval constants in their output form, a table's
-- own qualification dropped from generation expressions and checks.
CREATE TABLE users (
  id int PRIMARY KEY,
  a timestamptz,
  b timestamptz,
  confirmed_at timestamptz GENERATED ALWAYS AS (LEAST (users.a, users.b)) STORED,
  expires_at timestamptz NOT NULL DEFAULT (now() + interval '3 minutes'),
  ttl interval DEFAULT '1 week',
  grace interval DEFAULT interval '2 hours 30 minutes',
  span interval DEFAULT '1 year 2 months 3 days',
  CONSTRAINT ordered CHECK (users.a <= public.users.b)
);
ALTER TABLE users ADD COLUMN c int GENERATED ALWAYS AS (users.id * 2) STORED;
ALTER TABLE users ADD CONSTRAINT positive CHECK (users.c > 0);
CREATE TABLE flags (
  a boolean DEFAULT 'f',
  b boolean DEFAULT 't',
  c boolean NOT NULL DEFAULT 'yes',
  d boolean DEFAULT 'off',
  e boolean DEFAULT '0',
  f boolean DEFAULT 'n'
);
-- A sequence named with quotes and a schema in nextval's argument; an array formatted with %L.
CREATE SEQUENCE "public"."quoted_seq";
CREATE TABLE quoted_default (id bigint DEFAULT "nextval" ('"public"."quoted_seq"'::"regclass"), n bigint DEFAULT nextval('quoted_seq'));
CREATE TABLE grants (source text);
DO $$
DECLARE allowed CONSTANT text[] := ARRAY['manual', 'top up', 'a"b'];
BEGIN
  EXECUTE format('ALTER TABLE grants ADD CONSTRAINT grants_source_check CHECK (source = ANY (%L::text[]))', allowed);
END $$;
-- Timestamp literal defaults as the server stores them.
CREATE TABLE stamps (a timestamp DEFAULT '1970-01-01', b timestamptz DEFAULT 'epoch', c timestamp DEFAULT 'epoch', d timestamp DEFAULT '2024-02-29 12:30:00');
-- A literal default kept in its old type's text when the column's type changes.
CREATE TABLE retyped (at timestamp NOT NULL DEFAULT '1970-01-01', n int DEFAULT '7');
ALTER TABLE retyped ALTER at TYPE timestamptz, ALTER n TYPE bigint;
