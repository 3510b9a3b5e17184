-- Later ALTERs on columns that came from a query.
ALTER TABLE accounts_backup ADD PRIMARY KEY (id);
ALTER TABLE accounts_backup ALTER COLUMN email SET NOT NULL;
ALTER TABLE accounts_backup RENAME COLUMN balance TO amount;
ALTER TABLE closed_accounts ALTER COLUMN balance SET DEFAULT 0;
ALTER TABLE open_snapshot RENAME COLUMN rich TO is_rich;
ALTER TABLE open_snapshot ADD CONSTRAINT open_snapshot_pkey PRIMARY KEY (id);
ALTER TABLE daily ALTER COLUMN day SET NOT NULL;
ALTER TABLE daily ADD UNIQUE (day);
ALTER MATERIALIZED VIEW balances_by_day RENAME COLUMN n TO account_count;
CREATE INDEX ON balances_by_day (account_count);
ALTER INDEX balances_big RENAME TO balances_by_day_big;
