-- Server catalog (PostgreSQL 15.18), pg_get_constraintdef:
--   c_in            CHECK ((s = ANY (ARRAY['a'::text, 'b'::text])))
--   c_not_in        CHECK ((s <> ALL (ARRAY['x'::text, 'y'::text])))
--   c_between       CHECK (((n >= 1) AND (n <= 5)))
--   c_not_between   CHECK (((n < 10) OR (n > 20)))
--   c_len_re        CHECK (((length(s) > 0) AND (s ~ '^[a-z]'::text)))
--   c_any           CHECK ((s = ANY (ARRAY['a'::text, 'b'::text])))
--   c_all           CHECK ((n <> ALL (ARRAY[7, 8])))
--   c_coalesce      CHECK ((COALESCE(a, b) IS NOT NULL))
--   c_xor           CHECK (((a IS NULL) <> (b IS NULL)))
--   c_num_nonnulls  CHECK ((num_nonnulls(a, b) = 1))
--   c_v_cast        CHECK (((v)::text <> ''::text))
--   c_v_in          CHECK (((v)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))
--   c_v_eq          CHECK (((v)::text <> 'z'::text))
--   c_e_cast        CHECK (((e)::text <> ''::text))
--   c_e_in          CHECK ((e = ANY (ARRAY['low'::lvl, 'high'::lvl])))
--   c_in_int        CHECK ((n = ANY (ARRAY[1, 2, 3])))
--   c_neg           CHECK (((n > '-1'::integer) AND (n <> '-5'::integer)))
--   c_like          CHECK (((s ~~ 'a%'::text) OR (s ~~* 'B%'::text) OR (s !~~ '%z'::text)))
--   c_similar       CHECK ((p ~ similar_to_escape('[0-9]+'::text)))
--   c_case          CHECK (CASE WHEN (a > 0) THEN (b > 0) ELSE true END)   (printed over several lines)
--   c_distinct      CHECK ((a IS DISTINCT FROM b))
--   c_not           CHECK ((NOT (a < 0)))
--   c_bool_is       CHECK (((a > 0) IS NOT FALSE))
--   c_upper         CHECK ((upper(s) = s))
--   c_trim          CHECK ((TRIM(BOTH FROM p) <> ''::text))
--   c_position      CHECK ((POSITION(('@'::text) IN (p)) <> 1))
--   c_substring     CHECK ((SUBSTRING(p FROM 1 FOR 1) <> '0'::text))
--   c_ts            CHECK (((ts < (now() + '1 year'::interval)) AND ((ts)::date > '2000-01-01'::date)))
--   c_date          CHECK ((d >= '2000-01-01'::date))
--   c_numeric       CHECK (((x >= 0.5) AND (x < '10000'::numeric)))
--   c_char_length   CHECK ((char_length((v)::text) <= 5))
--   c_extract       CHECK ((EXTRACT(year FROM d) > (1999)::numeric))
--   c_array_len     CHECK ((cardinality(ARRAY[a, b]) = 2))
--   c_nullif        CHECK ((NULLIF(s, ''::text) IS NOT NULL))
--   c_greatest      CHECK ((GREATEST(a, b, 0) < 100))
--   c_status_check  CHECK (((status)::text = ANY ((ARRAY['active'::character varying, 'archived'::character varying])::text[])))
--   c_status_any    same text as c_status_check
--   c_status_text   CHECK (((status)::text = ANY (ARRAY['active'::text, 'archived'::text])))
-- (A timestamptz literal is avoided: its text depends on the server's TimeZone.)
-- CHECK constraints as written, stored by the server in its own form (pg_get_constraintdef
-- output is recorded in the comment at the top of this file).
CREATE TYPE lvl AS ENUM ('low', 'high');
CREATE TABLE c (
  s text, v varchar(10), e lvl, n int, a int, b int, p text, ts timestamptz, d date, x numeric(6,2),
  CONSTRAINT c_in CHECK (s IN ('a', 'b')),
  CONSTRAINT c_not_in CHECK (s NOT IN ('x', 'y')),
  CONSTRAINT c_between CHECK (n BETWEEN 1 AND 5),
  CONSTRAINT c_not_between CHECK (n NOT BETWEEN 10 AND 20),
  CONSTRAINT c_len_re CHECK (length(s) > 0 AND s ~ '^[a-z]'),
  CONSTRAINT c_any CHECK (s = ANY(ARRAY['a', 'b'])),
  CONSTRAINT c_all CHECK (n <> ALL(ARRAY[7, 8])),
  CONSTRAINT c_coalesce CHECK (coalesce(a, b) IS NOT NULL),
  CONSTRAINT c_xor CHECK ((a IS NULL) <> (b IS NULL)),
  CONSTRAINT c_num_nonnulls CHECK (num_nonnulls(a, b) = 1),
  CONSTRAINT c_v_cast CHECK (v::text <> ''),
  CONSTRAINT c_v_in CHECK (v IN ('a', 'b')),
  CONSTRAINT c_v_eq CHECK (v <> 'z'),
  CONSTRAINT c_e_cast CHECK (e::text <> ''),
  CONSTRAINT c_e_in CHECK (e IN ('low', 'high')),
  CONSTRAINT c_in_int CHECK (n IN (1, 2, 3)),
  CONSTRAINT c_neg CHECK (n > -1 AND n <> -5),
  CONSTRAINT c_like CHECK (s LIKE 'a%' OR s ILIKE 'B%' OR s NOT LIKE '%z'),
  CONSTRAINT c_similar CHECK (p SIMILAR TO '[0-9]+'),
  CONSTRAINT c_case CHECK (CASE WHEN a > 0 THEN b > 0 ELSE true END),
  CONSTRAINT c_distinct CHECK (a IS DISTINCT FROM b),
  CONSTRAINT c_not CHECK (NOT (a < 0)),
  CONSTRAINT c_bool_is CHECK ((a > 0) IS NOT FALSE),
  CONSTRAINT c_upper CHECK (upper(s) = s),
  CONSTRAINT c_trim CHECK (trim(p) <> ''),
  CONSTRAINT c_position CHECK (position('@' IN p) <> 1),
  CONSTRAINT c_substring CHECK (substring(p FROM 1 FOR 1) <> '0'),
  CONSTRAINT c_ts CHECK (ts < now() + interval '1 year' AND ts::date > '2000-01-01'),
  CONSTRAINT c_date CHECK (d >= DATE '2000-01-01'),
  CONSTRAINT c_numeric CHECK (x >= 0.5 AND x < 1e4),
  CONSTRAINT c_char_length CHECK (char_length(v) <= 5),
  CONSTRAINT c_extract CHECK (extract(year FROM d) > 1999),
  CONSTRAINT c_array_len CHECK (cardinality(ARRAY[a, b]) = 2),
  CONSTRAINT c_nullif CHECK (nullif(s, '') IS NOT NULL),
  CONSTRAINT c_greatest CHECK (greatest(a, b, 0) < 100)
);
-- Column-level forms and ADD CONSTRAINT forms get the same treatment.
ALTER TABLE c ADD COLUMN status varchar(20) CHECK (status IN ('active', 'archived'));
ALTER TABLE c ADD CONSTRAINT c_status_any CHECK (status = ANY (ARRAY['active'::varchar, 'archived'::varchar]));
ALTER TABLE c ADD CONSTRAINT c_status_text CHECK (status::text = ANY (ARRAY['active'::text, 'archived'::text]));
