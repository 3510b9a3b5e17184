// Field report 01: the backfill's workspace upsert. `.upsert()` without `onConflict` conflicts
// on the primary key (`id`), but the row also carries `workspace_id`, which is unique on its own:
// an existing workspace under another id fails with "duplicate key ... (workspace_id)".
import { supabaseAdmin } from './supabase';

export async function upsertWorkspace(ws: { id: number; workspaceId: string; machineId: string; path: string }) {
  const { error } = await supabaseAdmin
    .from('devlog_workspaces')
    .upsert({ id: ws.id, workspace_id: ws.workspaceId, machine_id: ws.machineId, workspace_path: ws.path });
  if (error) throw error;
}
