CREATE TABLE org_studio_agent_metrics (id bigserial PRIMARY KEY, workspace_id text, agent_id text NOT NULL, date date NOT NULL, section_id text, value int NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX ux_agent_metrics_agent_date_section ON org_studio_agent_metrics (agent_id, date, COALESCE(section_id, ''::text));
CREATE TABLE org_studio_settings (id text PRIMARY KEY, workspace_id text, value jsonb);
CREATE TABLE org_studio_heartbeats (agent_id text PRIMARY KEY, workspace_id text, seen_at timestamptz NOT NULL DEFAULT now());
