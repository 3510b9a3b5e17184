// Field report 02: the org-studio store, written when the app had one workspace.
import { pool } from './pool';

export async function recordHeartbeat(workspaceId: string, agentId: string) {
  await pool.query(
    `INSERT INTO org_studio_heartbeats (agent_id, workspace_id, seen_at) VALUES ($1, $2, now())
     ON CONFLICT (agent_id) DO UPDATE SET seen_at = excluded.seen_at`,
    [agentId, workspaceId],
  );
}

export async function recordMetrics(agentId: string, date: string, sectionId: string | null, tokens: number) {
  // workspace_id is missing from the column list (a latent bug the report fixed).
  await pool.query(
    `INSERT INTO org_studio_agent_metrics (agent_id, date, section_id, tokens) VALUES ($1, $2, $3, $4)
     ON CONFLICT (agent_id, date, COALESCE(section_id, '')) DO UPDATE SET tokens = org_studio_agent_metrics.tokens + excluded.tokens`,
    [agentId, date, sectionId, tokens],
  );
}

export async function getMetrics(since: string) {
  const { rows } = await pool.query('SELECT agent_id, date, tokens FROM org_studio_agent_metrics WHERE date >= $1', [since]);
  return rows;
}
