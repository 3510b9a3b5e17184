-- Guards on information_schema.key_column_usage and constraint_column_usage (GoTrue's idiom):
-- a foreign key's row in constraint_column_usage names the referenced table, in
-- key_column_usage its own.
CREATE SCHEMA auth;
CREATE TABLE auth.sessions (id uuid PRIMARY KEY);
CREATE TABLE auth.refresh_tokens (id bigserial PRIMARY KEY, token varchar(255), parent varchar(255), session_id uuid,
  CONSTRAINT amount_positive CHECK (id > 0 AND id < 1000000000000));
DO $$
BEGIN
  IF NOT EXISTS (SELECT * FROM information_schema.constraint_column_usage
      WHERE table_schema = 'auth' AND table_name = 'refresh_tokens' AND constraint_name = 'refresh_tokens_token_unique') THEN
    ALTER TABLE auth.refresh_tokens ADD CONSTRAINT refresh_tokens_token_unique UNIQUE (token);
  END IF;
  IF NOT EXISTS (SELECT * FROM information_schema.constraint_column_usage
      WHERE table_schema = 'auth' AND table_name = 'refresh_tokens' AND constraint_name = 'refresh_tokens_parent_fkey') THEN
    ALTER TABLE auth.refresh_tokens ADD CONSTRAINT refresh_tokens_parent_fkey FOREIGN KEY (parent) REFERENCES auth.refresh_tokens (token);
  END IF;
  IF NOT EXISTS (SELECT * FROM information_schema.constraint_column_usage
      WHERE table_schema = 'auth' AND table_name = 'sessions' AND constraint_name = 'refresh_tokens_session_id_fkey') THEN
    ALTER TABLE auth.refresh_tokens ADD CONSTRAINT refresh_tokens_session_id_fkey FOREIGN KEY (session_id) REFERENCES auth.sessions (id);
  END IF;
  -- Run again: every guard now sees its constraint.
  IF NOT EXISTS (SELECT * FROM information_schema.constraint_column_usage
      WHERE table_schema = 'auth' AND table_name = 'sessions' AND constraint_name = 'refresh_tokens_session_id_fkey') THEN
    CREATE TABLE wrong_1 (id int);
  END IF;
  -- The foreign key's own table is not where constraint_column_usage lists it.
  IF NOT EXISTS (SELECT * FROM information_schema.constraint_column_usage
      WHERE table_name = 'refresh_tokens' AND constraint_name = 'refresh_tokens_session_id_fkey') THEN
    CREATE TABLE right_1 (id int);
  END IF;
  -- key_column_usage lists it with its own table and positions.
  IF EXISTS (SELECT 1 FROM information_schema.key_column_usage
      WHERE table_name = 'refresh_tokens' AND constraint_name = 'refresh_tokens_session_id_fkey' AND ordinal_position = 1) THEN
    CREATE TABLE right_2 (id int);
  END IF;
  IF EXISTS (SELECT 1 FROM information_schema.key_column_usage WHERE constraint_name = 'amount_positive') THEN
    CREATE TABLE wrong_2 (id int);
  END IF;
  IF (SELECT count(*) FROM information_schema.constraint_column_usage WHERE constraint_name = 'amount_positive') = 1 THEN
    CREATE TABLE right_3 (id int);
  END IF;
END $$;
