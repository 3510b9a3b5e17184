-- Server catalog after this set (PostgreSQL 15.18):
--   events_2024_01 .. events_2024_05, partitions of events (the function's 2024_03 is skipped by
--   IF NOT EXISTS), each with (id bigint NOT NULL, at date NOT NULL, kind text),
--   events_2024_MM_pkey PRIMARY KEY (id, at) and index events_2024_MM_kind_idx (kind).
--   shard_1 .. shard_3 (id integer NOT NULL PRIMARY KEY, shard integer NOT NULL DEFAULT 1/2/3),
--   indexes shard_N_shard_idx; users_h_0 .. users_h_3, hash partitions of users_h.
-- Partition and table DDL built with format() and EXECUTE over fixed ranges.
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE INDEX events_kind_idx ON events (kind);
-- generate_series of timestamps in a FOR ... IN SELECT loop; d + interval '1 month' is a
-- timestamp, %L quotes it as '2024-02-01 00:00:00', which the date bound accepts.
DO $$
DECLARE d date;
BEGIN
  FOR d IN SELECT generate_series(date '2024-01-01', date '2024-03-01', interval '1 month') LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                   'events_' || to_char(d, 'YYYY_MM'), d, d + interval '1 month');
  END LOOP;
END $$;
-- The same in a function, called later; its first month (2024_03) already exists and is skipped.
CREATE FUNCTION create_month_partitions(p_parent text, p_from date, p_months int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE d date;
BEGIN
  FOR d IN SELECT g::date FROM generate_series(p_from, p_from + (p_months - 1) * interval '1 month', interval '1 month') AS g LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                   p_parent || '_' || to_char(d, 'YYYY_MM'), p_parent, d, (d + interval '1 month')::date);
  END LOOP;
END;
$$;
SELECT create_month_partitions('events', '2024-03-01', 3);
-- An integer FOR loop creating %I tables and indexes.
DO $$
BEGIN
  FOR i IN 1..3 LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I (id int PRIMARY KEY, shard int NOT NULL DEFAULT %s)', 'shard_' || i, i);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I (shard)', 'shard_' || i || '_shard_idx', 'shard_' || i);
  END LOOP;
END $$;
-- Hash partitions from an integer range.
CREATE TABLE users_h (id bigint NOT NULL, email text) PARTITION BY HASH (id);
DO $$
BEGIN
  FOR r IN 0..3 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF users_h FOR VALUES WITH (MODULUS 4, REMAINDER %s)', 'users_h_' || r, r);
  END LOOP;
END $$;
