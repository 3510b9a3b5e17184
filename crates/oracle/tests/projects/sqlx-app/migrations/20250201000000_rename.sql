ALTER TABLE accounts RENAME COLUMN plan TO tier;
CREATE TABLE account_stats AS SELECT id AS account_id, 0::bigint AS logins FROM accounts;
ALTER TABLE account_stats ADD PRIMARY KEY (account_id);
