-- Server catalog after this set (PostgreSQL 15.18):
--   accounts_backup: id integer NOT NULL (PK accounts_backup_pkey), email character varying(120) NOT NULL,
--     amount numeric(12,2) (renamed from balance)
--   closed_accounts: id integer, email character varying(120), balance numeric(12,2) DEFAULT 0, opened_at
--     timestamp with time zone, closed boolean (SELECT * INTO copies no NOT NULL and no default)
--   cents (unlogged): id integer, cents numeric, total bigint; temp_ids is a temporary table (not compared)
--   no table from the plpgsql SELECT ... INTO n / INTO STRICT e / EXECUTE ... INTO n
--   open_snapshot: id integer NOT NULL (PK), email character varying(120), balance numeric(12,2), is_rich boolean
--   daily: day date NOT NULL (UNIQUE daily_day_key), total numeric(14,2), n bigint
--   materialized view balances_by_day (day date, total numeric, account_count bigint) with indexes
--     balances_by_day_day_idx UNIQUE (day), balances_by_day_big (total) WHERE (total > (1000)::numeric),
--     balances_by_day_account_count_idx (account_count)
-- SELECT ... INTO new_table creates a table like CREATE TABLE AS; inside plpgsql, SELECT ... INTO
-- assigns variables and creates nothing. Views and materialized views give CTAS their types too.
CREATE TABLE accounts (id int PRIMARY KEY, email varchar(120) NOT NULL, balance numeric(12,2) NOT NULL DEFAULT 0, opened_at timestamptz DEFAULT now(), closed boolean NOT NULL DEFAULT false);
INSERT INTO accounts VALUES (1, 'a@x', 10, now(), false);
SELECT id, email, balance INTO accounts_backup FROM accounts;
SELECT * INTO TABLE closed_accounts FROM accounts WHERE closed;
SELECT id, balance * 100 AS cents, count(*) OVER () AS total INTO UNLOGGED cents FROM accounts;
SELECT id INTO TEMP temp_ids FROM accounts;
DO $$
DECLARE n int; e text;
BEGIN
  SELECT count(*) INTO n FROM accounts;
  SELECT email INTO STRICT e FROM accounts WHERE id = 1;
  EXECUTE 'SELECT count(*) FROM accounts' INTO n;
END $$;
CREATE FUNCTION account_count() RETURNS int LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
  SELECT count(*) INTO n FROM accounts;
  RETURN n;
END;
$$;
CREATE VIEW open_accounts AS SELECT id, email, balance, balance > 100 AS rich FROM accounts WHERE NOT closed;
CREATE MATERIALIZED VIEW balances_by_day AS
  SELECT opened_at::date AS day, sum(balance) AS total, count(*) AS n FROM accounts GROUP BY 1;
CREATE UNIQUE INDEX ON balances_by_day (day);
CREATE INDEX balances_big ON balances_by_day (total) WHERE total > 1000;
-- CTAS over a view and over a materialized view.
CREATE TABLE open_snapshot AS SELECT * FROM open_accounts;
CREATE TABLE daily AS SELECT day, total::numeric(14,2) AS total, n FROM balances_by_day;
