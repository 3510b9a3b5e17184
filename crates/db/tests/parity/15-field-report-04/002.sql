CREATE FUNCTION increment_token_usage(p_user_id UUID, p_tokens_used INTEGER)
RETURNS VOID AS $$
BEGIN
  UPDATE user_subscriptions
  SET used_tokens = used_tokens + p_tokens_used,
      updated_at = NOW()
  WHERE user_id = p_user_id;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;
CREATE INDEX idx_automation_nodes_workflow ON automation_nodes(workflow_id);
CREATE INDEX idx_blog_comments_parent ON blog_comments(parent_id) WHERE parent_id IS NOT NULL;
