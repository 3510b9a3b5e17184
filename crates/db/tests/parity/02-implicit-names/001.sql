CREATE TABLE parents (id int PRIMARY KEY, code text UNIQUE, a int, b int, UNIQUE (a, b));
CREATE TABLE kids (
  id int PRIMARY KEY,
  parent_id int REFERENCES parents,
  code text REFERENCES parents (code) ON DELETE CASCADE ON UPDATE SET NULL,
  a int,
  b int,
  qty int CHECK (qty > 0),
  lo int,
  hi int,
  CHECK (lo < hi),
  CHECK (qty < 1000),
  FOREIGN KEY (a, b) REFERENCES parents (a, b) MATCH FULL
);
ALTER TABLE kids ADD UNIQUE (qty);
ALTER TABLE kids ADD UNIQUE (qty);
ALTER TABLE kids ADD CHECK (qty <> 7);
ALTER TABLE kids ADD FOREIGN KEY (parent_id) REFERENCES parents (id);
CREATE TABLE dupes (x int PRIMARY KEY UNIQUE, y int UNIQUE UNIQUE);
CREATE TABLE self_ref (id int PRIMARY KEY, parent int REFERENCES self_ref);
