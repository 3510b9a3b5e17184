// Fixed: every statement is scoped to the workspace, and conflict targets use the new keys.
import { pool } from './pool';

export async function recordHeartbeat(workspaceId: string, agentId: string) {
  await pool.query(
    `INSERT INTO org_studio_heartbeats (agent_id, workspace_id, seen_at) VALUES ($1, $2, now())
     ON CONFLICT (workspace_id, agent_id) DO UPDATE SET seen_at = excluded.seen_at`,
    [agentId, workspaceId],
  );
}

export async function recordMetrics(workspaceId: string, agentId: string, date: string, sectionId: string | null, tokens: number) {
  await pool.query(
    `INSERT INTO org_studio_agent_metrics (workspace_id, agent_id, date, section_id, tokens) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (workspace_id, agent_id, date, COALESCE(section_id, '')) DO UPDATE SET tokens = org_studio_agent_metrics.tokens + excluded.tokens`,
    [workspaceId, agentId, date, sectionId, tokens],
  );
}

export async function getMetrics(workspaceId: string, since: string) {
  const { rows } = await pool.query('SELECT agent_id, date, tokens FROM org_studio_agent_metrics WHERE workspace_id = $1 AND date >= $2', [workspaceId, since]);
  return rows;
}
