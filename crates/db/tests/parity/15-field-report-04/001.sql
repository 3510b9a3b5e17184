CREATE TABLE automation_workflows (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);
CREATE TABLE automation_nodes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workflow_id uuid NOT NULL REFERENCES automation_workflows(id) ON DELETE CASCADE, kind text);
CREATE TABLE automation_connections (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), workflow_id uuid NOT NULL REFERENCES automation_workflows(id) ON DELETE CASCADE);
CREATE TABLE blog_posts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text);
CREATE TABLE blog_comments (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), post_id uuid NOT NULL REFERENCES blog_posts(id), parent_id uuid REFERENCES blog_comments(id), body text);
CREATE TABLE user_subscriptions (user_id uuid PRIMARY KEY, used_tokens int NOT NULL DEFAULT 0, updated_at timestamptz);
ALTER TABLE user_subscriptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_sub ON user_subscriptions FOR SELECT USING (user_id = current_setting('app.user')::uuid);
