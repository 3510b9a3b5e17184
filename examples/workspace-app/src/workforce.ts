// Field report 04: the workforce code path. It writes to a table and calls an RPC that no
// migration created, and its fallback counter update is a read-modify-write.
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

export async function updateSubscriptionUsage(userId: string, tokensUsed: number) {
  const { error } = await supabase.rpc('increment_token_usage', { p_user_id: userId, p_tokens_used: tokensUsed });
  if (!error) return;
  // Fallback when the RPC is missing: fetch, calculate, update.
  const { data: sub } = await supabase.from('user_subscriptions').select('used_tokens').eq('user_id', userId).single();
  await supabase
    .from('user_subscriptions')
    .update({ used_tokens: (sub?.used_tokens ?? 0) + tokensUsed })
    .eq('user_id', userId);
}

export async function incrementParticipantStats(participantId: string, messages: number) {
  await supabase.rpc('increment_participant_stats', { p_participant_id: participantId, p_message_count: messages });
}
