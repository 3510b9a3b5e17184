-- DEFAULT NULL. The server stores no pg_attrdef row (atthasdef false) when the cooked default is
-- a bare NULL constant of the column's type; when a length/precision typmod coercion, a cast to
-- another type, or a domain coercion is left around the NULL, a row IS stored.
-- Server catalog after this set (PostgreSQL 15.18), pg_get_expr(adbin) per column:
--   n.a varchar(20) DEFAULT NULL                    NULL::character varying
--   n.b numeric(10,2) DEFAULT NULL                  NULL::numeric
--   n.c text DEFAULT NULL::text                     (none)
--   n.d int DEFAULT NULL::int                       (none)
--   n.e timestamptz DEFAULT NULL                    (none)
--   n.f jsonb DEFAULT NULL::jsonb                   (none)
--   n.g text DEFAULT (NULL)                         (none)
--   n.h int DEFAULT CAST(NULL AS int)               (none)
--   n.i varchar(5) DEFAULT NULL::character varying  NULL::character varying
--   n.j varchar(5) DEFAULT NULL::varchar(5)         NULL::character varying(5)
--   n.k numeric(10,2) DEFAULT NULL::numeric         NULL::numeric
--   n.l char(3) DEFAULT NULL                        NULL::bpchar
--   n.m bigint DEFAULT NULL::int                    NULL::integer
--   n.o text DEFAULT NULL::varchar                  NULL::character varying
--   n.q timestamp(3) DEFAULT NULL                   NULL::timestamp without time zone
--   n.r int[] DEFAULT NULL                          (none)
--   n.s varchar DEFAULT NULL                        (none)
--   n.t numeric DEFAULT NULL                        (none)
--   n.u interval(0) DEFAULT NULL                    (none; format_type interval(0): the interval typmod is applied by the input function)
--   n.v label (domain over text) DEFAULT NULL       NULL::text
--   n.w varchar(20) (ADD COLUMN) DEFAULT NULL       NULL::character varying
--   n.x text (ADD COLUMN) DEFAULT NULL              (none)
--   n.y numeric(10,2) (ADD COLUMN) DEFAULT NULL     NULL::numeric
--   m.a varchar(20) SET DEFAULT NULL                NULL::character varying (the old 'x' is gone)
--   m.b text SET DEFAULT NULL                       (none; the old 'y' is removed)
--   m.c numeric(10,2) SET DEFAULT NULL              NULL::numeric
--   m.d int SET DEFAULT NULL::int                   (none)
CREATE DOMAIN label AS text;
CREATE TABLE n (
  id int PRIMARY KEY,
  a varchar(20) DEFAULT NULL,
  b numeric(10,2) DEFAULT NULL,
  c text DEFAULT NULL::text,
  d int DEFAULT NULL::int,
  e timestamptz DEFAULT NULL,
  f jsonb DEFAULT NULL::jsonb,
  g text DEFAULT (NULL),
  h int DEFAULT CAST(NULL AS int),
  i varchar(5) DEFAULT NULL::character varying,
  j varchar(5) DEFAULT NULL::varchar(5),
  k numeric(10,2) DEFAULT NULL::numeric,
  l char(3) DEFAULT NULL,
  m bigint DEFAULT NULL::int,
  o text DEFAULT NULL::varchar,
  q timestamp(3) DEFAULT NULL,
  r int[] DEFAULT NULL,
  s varchar DEFAULT NULL,
  t numeric DEFAULT NULL,
  u interval(0) DEFAULT NULL,
  v label DEFAULT NULL
);
-- ADD COLUMN ... DEFAULT NULL follows the same rule.
ALTER TABLE n ADD COLUMN w varchar(20) DEFAULT NULL, ADD COLUMN x text DEFAULT NULL, ADD COLUMN y numeric(10,2) DEFAULT NULL;
-- SET DEFAULT NULL removes the old default and stores the new one by the same rule.
CREATE TABLE m (a varchar(20) DEFAULT 'x', b text DEFAULT 'y', c numeric(10,2) DEFAULT 1, d int DEFAULT 1);
ALTER TABLE m ALTER COLUMN a SET DEFAULT NULL, ALTER COLUMN b SET DEFAULT NULL;
ALTER TABLE m ALTER COLUMN c SET DEFAULT NULL;
ALTER TABLE m ALTER COLUMN d SET DEFAULT NULL::int;
