// Fixed: upsert on the natural key the collector knows; the surrogate id is not sent.
import { supabaseAdmin } from './supabase';

export async function upsertWorkspace(ws: { workspaceId: string; machineId: string; path: string }) {
  const { error } = await supabaseAdmin
    .from('devlog_workspaces')
    .upsert({ workspace_id: ws.workspaceId, machine_id: ws.machineId, workspace_path: ws.path }, { onConflict: 'workspace_id' });
  if (error) throw error;
}
