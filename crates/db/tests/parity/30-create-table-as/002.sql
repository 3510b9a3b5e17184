-- Later migrations treat CTAS tables like any other.
ALTER TABLE order_summary ALTER COLUMN customer_id SET NOT NULL;
ALTER TABLE order_summary ADD PRIMARY KEY (customer_id);
ALTER TABLE order_summary RENAME COLUMN n_orders TO order_count;
ALTER TABLE order_summary ALTER COLUMN total TYPE numeric(12,2);
ALTER TABLE customer_facts ADD PRIMARY KEY (id);
ALTER TABLE customer_facts ALTER COLUMN version SET DEFAULT 'v2';
ALTER TABLE customer_facts RENAME COLUMN "?column?" TO id_plus_one;
ALTER TABLE customer_facts ALTER COLUMN "coalesce" SET NOT NULL;
ALTER TABLE renamed_cols ADD CONSTRAINT renamed_cols_cid_fkey FOREIGN KEY (cid) REFERENCES customers;
ALTER TABLE pairs RENAME COLUMN column1 TO n;
CREATE UNIQUE INDEX ON pairs (n);
CREATE INDEX ON days (dow) WHERE dow > 0;
ALTER TABLE nums ADD CHECK (generate_series > 0);
