CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, plan text NOT NULL DEFAULT 'free');
CREATE TABLE sessions (id uuid PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), expires_at timestamptz NOT NULL);
CREATE TABLE api_keys (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), key_hash text NOT NULL);
CREATE INDEX api_keys_account_id_idx ON api_keys (account_id);
