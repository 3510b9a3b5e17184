-- Literal defaults as PostgreSQL stores them for the column's type (AppFlowy-Cloud's
-- af_published_collab.blob is `bytea NOT NULL DEFAULT ''`).
CREATE TABLE blobs (
  id int PRIMARY KEY,
  empty bytea NOT NULL DEFAULT '',
  word bytea DEFAULT 'ab',
  quoted bytea DEFAULT 'it''s',
  hex bytea DEFAULT '\x0102'
);
