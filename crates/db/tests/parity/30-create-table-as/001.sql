-- Server catalog after this set (PostgreSQL 15.18), format_type of the CTAS columns; all are
-- nullable and have no default unless a later ALTER says so:
--   order_summary: customer_id integer (NOT NULL, PK order_summary_pkey, after 002), name character varying(80),
--     order_count bigint (renamed from n_orders), count bigint, total numeric(12,2) (after ALTER TYPE; numeric before),
--     avg_amount numeric, last_at timestamp with time zone, first_id bigint, all_positive boolean, notes text, ids bigint[]
--   customer_facts: id integer (PK), name_text text, score_int integer, short character varying(10), next_day date,
--     next_ts timestamp without time zone, double_score numeric, coalesce numeric (NOT NULL after 002), band text,
--     version text DEFAULT 'v2'::text, one integer, half numeric, flag boolean, nothing text, now timestamp with time zone,
--     today date, upper text, id_plus_one integer (was "?column?"), arr integer[], doc jsonb, uid uuid, big bigint,
--     empty_doc jsonb
--   renamed_cols: cid integer, cname character varying(80) (the IF NOT EXISTS CTAS is skipped)
--   customers_copy: id integer, name character varying(80), born date, score numeric(6,2) (no NOT NULL, no default)
--   pairs: column1 integer (renamed n), column2 text, column3 numeric; days: day date, dow numeric (extract is numeric)
--   nums: generate_series integer; merged: id bigint, name character varying, amount numeric (typmods differ: dropped)
--   same_typmod: name character varying(80); scratch_ids: id bigint
--   indexes: pairs_n_idx UNIQUE (n); days_dow_idx (dow) WHERE (dow > (0)::numeric)
--   nums_generate_series_check: CHECK ((generate_series > 0))
-- CREATE TABLE ... AS: the columns' names and types come from the query. No NOT NULL, no
-- defaults, no constraints are carried over from the source tables.
CREATE TABLE customers (id int PRIMARY KEY, name varchar(80) NOT NULL, born date, score numeric(6,2) DEFAULT 0);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, amount numeric(10,2) NOT NULL, placed_at timestamptz NOT NULL DEFAULT now(), note text);
INSERT INTO customers VALUES (1, 'ann', '2000-01-01', 1.5);
INSERT INTO orders VALUES (1, 1, 9.99, now(), NULL);
-- Aggregates over a join.
CREATE TABLE order_summary AS
  SELECT c.id AS customer_id, c.name, count(*) AS n_orders, count(o.note), sum(o.amount) AS total,
         avg(o.amount) AS avg_amount, max(o.placed_at) AS last_at, min(o.id) AS first_id,
         bool_and(o.amount > 0) AS all_positive, string_agg(o.note, ',') AS notes, array_agg(o.id) AS ids
  FROM customers c JOIN orders o ON o.customer_id = c.id
  GROUP BY c.id, c.name;
-- Casts, expressions, literals and functions; unnamed expressions get the function's name or ?column?.
CREATE TABLE customer_facts AS
  SELECT id, name::text AS name_text, score::int AS score_int, (name || '!')::varchar(10) AS short,
         born + 1 AS next_day, born + interval '1 day' AS next_ts, score * 2 AS double_score, coalesce(score, 0),
         CASE WHEN score > 1 THEN 'high' ELSE 'low' END AS band, 'v1' AS version, 1 AS one, 2.5 AS half,
         true AS flag, NULL AS nothing, now(), current_date AS today, upper(name), id + 1, ARRAY[1, 2] AS arr,
         jsonb_build_object('id', id) AS doc, gen_random_uuid() AS uid, 1::bigint AS big, '{}'::jsonb AS empty_doc
  FROM customers;
-- A column name list, WITH NO DATA, IF NOT EXISTS, TABLE, VALUES, generate_series and UNION.
CREATE TABLE renamed_cols (cid, cname) AS SELECT id, name FROM customers WITH NO DATA;
CREATE TABLE IF NOT EXISTS renamed_cols AS SELECT 1 AS other;
CREATE TABLE customers_copy AS TABLE customers;
CREATE TABLE pairs AS VALUES (1, 'a', 1.5), (2, 'b', NULL);
CREATE TABLE days AS SELECT d::date AS day, extract(dow FROM d) AS dow FROM generate_series('2024-01-01'::date, '2024-01-07', '1 day') AS d;
CREATE TABLE nums AS SELECT * FROM generate_series(1, 3);
CREATE TABLE merged AS
  SELECT id::bigint AS id, name, score AS amount FROM customers
  UNION ALL
  SELECT id, note, amount FROM orders;
CREATE TABLE same_typmod AS SELECT name FROM customers UNION SELECT name FROM customers;
CREATE UNLOGGED TABLE scratch_ids AS SELECT id FROM orders;
