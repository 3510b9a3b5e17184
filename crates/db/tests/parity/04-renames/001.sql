CREATE TABLE accounts (id int PRIMARY KEY, email text UNIQUE, owner int, CHECK (owner > 0));
CREATE TABLE invoices (id int PRIMARY KEY, account_id int REFERENCES accounts, amount int CHECK (amount >= 0));
CREATE INDEX ON invoices (account_id);
CREATE INDEX inv_amount ON invoices (amount) WHERE amount > 10;
CREATE INDEX inv_expr ON invoices ((amount * 2));
