-- Tenants and their settings; a seed loop over the tenants calls a function that only inserts
-- rows (its body mentions created_by and altered_at: no schema change).
CREATE TABLE public.tenants (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
CREATE TABLE public.settings (
  id bigserial PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  key text NOT NULL,
  value text,
  created_by uuid,
  altered_at timestamptz DEFAULT now(),
  UNIQUE (tenant_id, key)
);
CREATE FUNCTION public.seed_tenant(t uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.settings (tenant_id, key, value, created_by, altered_at) VALUES (t, 'theme', 'dark', NULL, now())
  ON CONFLICT (tenant_id, key) DO NOTHING;
END $$;
CREATE FUNCTION public.seed_all_tenants() RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT id FROM public.tenants LOOP
    PERFORM public.seed_tenant(r.id);
  END LOOP;
END $$;
SELECT public.seed_all_tenants();

-- Orders and their lines: the lines' foreign key has no index.
CREATE TABLE public.orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES public.tenants (id),
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped')),
  total numeric(12,2) NOT NULL DEFAULT 0,
  placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_tenant_id_idx ON public.orders (tenant_id);
CREATE TABLE public.order_lines (
  id bigserial PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES public.orders (id) ON DELETE CASCADE,
  sku text NOT NULL,
  quantity int NOT NULL CHECK (quantity > 0)
);

-- Monthly partitions made by a loop over dates.
CREATE TABLE public.events (id bigint NOT NULL, at date NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
DO $$
DECLARE d date;
BEGIN
  FOR d IN SELECT generate_series(date '2025-01-01', date '2025-03-01', interval '1 month') LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF public.events FOR VALUES FROM (%L) TO (%L)',
                   'events_' || to_char(d, 'YYYY_MM'), d, d + interval '1 month');
  END LOOP;
END $$;

-- A daily report built from a query, then keyed.
CREATE TABLE public.daily_totals AS
  SELECT o.tenant_id, date_trunc('day', o.placed_at)::date AS day, count(*) AS orders, sum(o.total) AS total
  FROM public.orders o GROUP BY 1, 2;
ALTER TABLE public.daily_totals ALTER COLUMN tenant_id SET NOT NULL, ALTER COLUMN day SET NOT NULL;
ALTER TABLE public.daily_totals ADD PRIMARY KEY (tenant_id, day);

-- A counter the app increments through an RPC; its upsert names a key no unique index has.
CREATE TABLE public.usage (tenant_id uuid NOT NULL REFERENCES public.tenants (id), day date NOT NULL, calls int NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, day));
CREATE FUNCTION public.count_call(p_tenant uuid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.usage (tenant_id, day, calls) VALUES (p_tenant, current_date, 1)
  ON CONFLICT (tenant_id) DO UPDATE SET calls = public.usage.calls + 1;
END $$;

-- Guards that stay exact after the statements above.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'orders' AND column_name = 'note') THEN
    ALTER TABLE public.orders ADD COLUMN note text;
  END IF;
  IF to_regclass('public.refunds') IS NULL THEN
    CREATE TABLE public.refunds (id bigserial PRIMARY KEY, order_id bigint NOT NULL REFERENCES public.orders (id), amount numeric(12,2) NOT NULL);
  END IF;
END $$;
