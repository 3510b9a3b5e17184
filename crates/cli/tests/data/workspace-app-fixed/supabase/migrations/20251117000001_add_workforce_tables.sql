CREATE TABLE public.workforce_executions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  input_text text NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_workforce_executions_user ON public.workforce_executions (user_id);
ALTER TABLE public.workforce_executions ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own executions" ON public.workforce_executions FOR ALL TO authenticated
  USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());

CREATE TABLE public.conversation_participants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  message_count int NOT NULL DEFAULT 0
);
CREATE INDEX idx_conversation_participants_user ON public.conversation_participants (user_id);
ALTER TABLE public.conversation_participants ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION public.increment_participant_stats(p_participant_id uuid, p_message_count int DEFAULT 0) RETURNS void
LANGUAGE sql SECURITY INVOKER SET search_path = '' AS $$
  UPDATE public.conversation_participants SET message_count = message_count + p_message_count WHERE id = p_participant_id
$$;
