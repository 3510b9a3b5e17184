CREATE TABLE owners (id int PRIMARY KEY);
CREATE TABLE pets (id int PRIMARY KEY, owner_id int, age int);
ALTER TABLE pets ADD CONSTRAINT pets_owner_fk FOREIGN KEY (owner_id) REFERENCES owners (id) NOT VALID;
ALTER TABLE pets ADD CONSTRAINT pets_age_ok CHECK (age >= 0) NOT VALID;
ALTER TABLE pets ADD CONSTRAINT pets_age_max CHECK (age < 100) NOT VALID;
ALTER TABLE pets VALIDATE CONSTRAINT pets_age_max;
CREATE TABLE created_not_valid (id int PRIMARY KEY, o int, CONSTRAINT cnv_fk FOREIGN KEY (o) REFERENCES owners NOT VALID, CONSTRAINT cnv_ck CHECK (o > 0) NOT VALID);
