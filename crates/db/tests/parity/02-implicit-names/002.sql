-- a relation already called like the implicit name forces numbering
CREATE TABLE clash (a int);
CREATE INDEX clash_a_key ON clash (a);
ALTER TABLE clash ADD UNIQUE (a);
CREATE TABLE clash_pkey (z int);
CREATE TABLE clash2 (id int);
CREATE TABLE "clash2_pkey" (z int);
ALTER TABLE clash2 ADD PRIMARY KEY (id);
