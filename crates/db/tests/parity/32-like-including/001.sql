-- Server catalog after this set (PostgreSQL 15.18):
--   Every copy has all columns with their types and NOT NULL (id, code, ident, status NOT NULL).
--   Without INCLUDING IDENTITY ident is a plain bigint NOT NULL (attidentity ''); with it, attidentity 'a'
--     and a new sequence b_..._ident_seq. Without INCLUDING GENERATED qty2 is a plain integer
--     (attgenerated ''); with it, 's' and the expression (qty * 2).
--   INCLUDING DEFAULTS copies code DEFAULT nextval('a_code_seq'::regclass) (the same sequence) and
--     status DEFAULT 'new'::character varying.
--   INCLUDING CONSTRAINTS copies the CHECKs under their old names a_qty_check CHECK ((qty >= 0)) and
--     a_status_ok CHECK (((status)::text = ANY ((ARRAY['new'::character varying, 'done'::character varying])::text[]))).
--   INCLUDING INDEXES copies b_X_pkey PRIMARY KEY (id), b_X_email_key UNIQUE (email), and the indexes
--     b_X_lower_idx UNIQUE (lower(slug)), b_X_status_idx (status) WHERE (deleted_at IS NULL).
--   b_mixed: pre integer NOT NULL PK b_mixed_pkey, the copied columns with defaults and CHECKs, post text.
-- CREATE TABLE (LIKE a ...): what each INCLUDING option copies.
CREATE SEQUENCE a_code_seq;
CREATE TABLE a (
  id int PRIMARY KEY,
  code int NOT NULL DEFAULT nextval('a_code_seq'),
  email text UNIQUE,
  slug text,
  qty int CHECK (qty >= 0),
  ident bigint GENERATED ALWAYS AS IDENTITY,
  qty2 int GENERATED ALWAYS AS (qty * 2) STORED,
  status varchar(10) NOT NULL DEFAULT 'new',
  deleted_at timestamptz,
  CONSTRAINT a_status_ok CHECK (status IN ('new', 'done'))
);
CREATE UNIQUE INDEX a_slug_lower ON a (lower(slug));
CREATE INDEX a_live ON a (status) WHERE deleted_at IS NULL;
CREATE TABLE b_plain (LIKE a);
CREATE TABLE b_all (LIKE a INCLUDING ALL);
CREATE TABLE b_defaults (LIKE a INCLUDING DEFAULTS);
CREATE TABLE b_constraints (LIKE a INCLUDING CONSTRAINTS);
CREATE TABLE b_indexes (LIKE a INCLUDING INDEXES);
CREATE TABLE b_identity (LIKE a INCLUDING IDENTITY);
CREATE TABLE b_generated (LIKE a INCLUDING GENERATED);
CREATE TABLE b_all_but_indexes (LIKE a INCLUDING ALL EXCLUDING INDEXES, extra int);
CREATE TABLE b_mixed (pre int PRIMARY KEY, LIKE a INCLUDING DEFAULTS INCLUDING CONSTRAINTS, post text);
