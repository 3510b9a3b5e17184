-- Field report 04's RPC: atomic, but SECURITY DEFINER without a pinned search_path, and it
-- trusts the caller's p_user_id instead of auth.uid().
CREATE FUNCTION increment_token_usage(p_user_id UUID, p_tokens_used INTEGER)
RETURNS VOID AS $$
BEGIN
  UPDATE user_subscriptions
  SET used_tokens = used_tokens + p_tokens_used,
      updated_at = NOW()
  WHERE user_id = p_user_id;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;

GRANT EXECUTE ON FUNCTION increment_token_usage(UUID, INTEGER) TO authenticated;
