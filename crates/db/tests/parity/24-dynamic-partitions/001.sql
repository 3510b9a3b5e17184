CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
DO $$
DECLARE y int;
BEGIN
  FOR y IN 2022..2024 LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                   'events_' || y, make_date(y, 1, 1), make_date(y + 1, 1, 1));
  END LOOP;
END $$;
CREATE TABLE metrics (id bigint NOT NULL, bucket int NOT NULL) PARTITION BY LIST (bucket);
CREATE FUNCTION create_bucket(parent text, b int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'CREATE TABLE IF NOT EXISTS ' || quote_ident(parent || '_' || b) || ' PARTITION OF ' || quote_ident(parent) || ' FOR VALUES IN (' || b || ')';
END;
$$;
SELECT create_bucket('metrics', 1);
SELECT create_bucket('metrics', 2);
DO $$
DECLARE b int;
BEGIN
  FOREACH b IN ARRAY ARRAY[3, 4] LOOP
    PERFORM create_bucket('metrics', b);
  END LOOP;
END $$;
