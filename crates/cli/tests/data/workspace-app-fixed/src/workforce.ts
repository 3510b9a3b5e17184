// Fixed: the table and the RPCs exist (see the fix migrations), and usage is only ever
// incremented by the database.
import { supabase } from './supabase';

export async function startExecution(userId: string, input: string) {
  const { data, error } = await supabase
    .from('workforce_executions')
    .insert({ user_id: userId, input_text: input, status: 'pending' })
    .select('id')
    .single();
  if (error) throw error;
  return data.id;
}

export async function updateSubscriptionUsage(tokensUsed: number) {
  const { error } = await supabase.rpc('increment_token_usage', { p_tokens_used: tokensUsed });
  if (error) throw error;
}

export async function incrementParticipantStats(participantId: string, messages: number) {
  await supabase.rpc('increment_participant_stats', { p_participant_id: participantId, p_message_count: messages });
}
