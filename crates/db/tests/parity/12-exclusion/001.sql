CREATE TABLE bookings (id int PRIMARY KEY, room int, during tstzrange, EXCLUDE USING gist (during WITH &&));
CREATE TABLE circles (c circle, EXCLUDE USING gist (c WITH &&));
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE rooms (room int, during tstzrange, CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&) DEFERRABLE);
ALTER TABLE bookings ADD EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (room > 0);
