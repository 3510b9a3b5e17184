-- Field report 02, before its fix: these keys ignore workspace_id, so two workspaces with the
-- same agent_id overwrite each other's rows through ON CONFLICT.
CREATE TABLE public.org_studio_agent_metrics (
  id bigserial PRIMARY KEY,
  workspace_id text,
  agent_id text NOT NULL,
  date date NOT NULL,
  section_id text,
  tokens int NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX ux_agent_metrics_agent_date_section
  ON public.org_studio_agent_metrics (agent_id, date, COALESCE(section_id, ''::text));

CREATE TABLE public.org_studio_settings (
  id text PRIMARY KEY,
  workspace_id text,
  value jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE public.org_studio_heartbeats (
  agent_id text PRIMARY KEY,
  workspace_id text,
  seen_at timestamptz NOT NULL DEFAULT now()
);

-- Row-level security: policies live with the API layer's migrations.
ALTER TABLE public.org_studio_agent_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.org_studio_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.org_studio_heartbeats ENABLE ROW LEVEL SECURITY;
