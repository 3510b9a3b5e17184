-- Constraint names must be unique per schema when PostgreSQL invents them.
CREATE TABLE a_b (c int CHECK (c > 0));
CREATE TABLE a (b_c int CHECK (b_c > 0));
CREATE TABLE t (a int, b int, CONSTRAINT t_a_key CHECK (a > 0));
ALTER TABLE t ADD UNIQUE (a);
CREATE TABLE u (x int, y int, CONSTRAINT u_x_y_fkey CHECK (x > 0));
CREATE TABLE v (x int, y int, PRIMARY KEY (x, y));
ALTER TABLE u ADD FOREIGN KEY (x, y) REFERENCES v;
CREATE TABLE w (a text, b text);
CREATE INDEX ON w (lower(a), lower(b));
CREATE INDEX ON w (a) INCLUDE (b);
CREATE INDEX ON w ((a || b));
CREATE INDEX ON w ((a || b));
CREATE INDEX w_a_idx1 ON w (b);
CREATE INDEX ON w (a);
CREATE TABLE w_a (z int);
CREATE TABLE x (a int UNIQUE, CONSTRAINT x_a_key1 CHECK (a > 1));
ALTER TABLE x ADD UNIQUE (a);
