-- Field report 01: the devlog collector's workspaces. `id` is the surrogate key; the editor's
-- workspace hash, `workspace_id`, is unique on its own.
CREATE TABLE public.devlog_workspaces (
  id bigserial PRIMARY KEY,
  workspace_id text NOT NULL UNIQUE,
  machine_id text NOT NULL,
  workspace_path text NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now()
);

-- Field report 03: app users (Privy DIDs) and their primary workspace.
CREATE TABLE public.app_users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  privy_did text NOT NULL UNIQUE,
  primary_workspace_id uuid NOT NULL REFERENCES public.workspaces (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX app_users_primary_workspace_id_idx ON public.app_users (primary_workspace_id);

CREATE TABLE public.app_workspace_members (
  workspace_id uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  privy_did text NOT NULL,
  is_primary boolean NOT NULL DEFAULT false,
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, privy_did)
);
CREATE INDEX app_workspace_members_privy_did_idx ON public.app_workspace_members (privy_did);

ALTER TABLE public.devlog_workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.app_users ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.app_workspace_members ENABLE ROW LEVEL SECURITY;
