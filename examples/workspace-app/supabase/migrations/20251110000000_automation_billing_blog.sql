-- Field report 04, before its fix: six foreign keys without an index.
CREATE TABLE public.automation_workflows (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES public.workspaces (id) ON DELETE CASCADE,
  name text NOT NULL
);
CREATE INDEX automation_workflows_workspace_id_idx ON public.automation_workflows (workspace_id);

CREATE TABLE public.automation_nodes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_id uuid NOT NULL REFERENCES public.automation_workflows (id) ON DELETE CASCADE,
  kind text NOT NULL,
  config jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE public.automation_connections (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_id uuid NOT NULL REFERENCES public.automation_workflows (id) ON DELETE CASCADE,
  source_node uuid NOT NULL,
  target_node uuid NOT NULL
);

CREATE TABLE public.user_credits (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL UNIQUE REFERENCES auth.users (id),
  balance int NOT NULL DEFAULT 0
);

CREATE TABLE public.credit_transactions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_credit_id uuid NOT NULL REFERENCES public.user_credits (id),
  amount int NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.support_tickets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES auth.users (id),
  status text NOT NULL DEFAULT 'open'
);
CREATE INDEX idx_support_tickets_user_status ON public.support_tickets (user_id, status);

CREATE TABLE public.support_ticket_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ticket_id uuid NOT NULL REFERENCES public.support_tickets (id) ON DELETE CASCADE,
  body text NOT NULL
);

CREATE TABLE public.blog_posts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title text NOT NULL
);

CREATE TABLE public.blog_comments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  post_id uuid NOT NULL REFERENCES public.blog_posts (id) ON DELETE CASCADE,
  parent_id uuid REFERENCES public.blog_comments (id),
  body text NOT NULL
);

-- Plans are a fixed list that is never deleted: an index would only cost writes.
CREATE TABLE public.plans (id text PRIMARY KEY, monthly_tokens int NOT NULL);
CREATE TABLE public.user_subscriptions (
  user_id uuid PRIMARY KEY REFERENCES auth.users (id),
  -- pgvet-ignore fk-missing-index: plans are never deleted or re-keyed
  plan_id text NOT NULL REFERENCES public.plans (id),
  used_tokens int NOT NULL DEFAULT 0,
  updated_at timestamptz
);
ALTER TABLE public.user_subscriptions ENABLE ROW LEVEL SECURITY;

-- Row-level security: policies live with the API layer's migrations.
ALTER TABLE public.automation_workflows ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.automation_nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.automation_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_credits ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.credit_transactions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.support_tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.support_ticket_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.blog_posts ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.blog_comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.plans ENABLE ROW LEVEL SECURITY;
