// Fixed: keyed on the unique field the collector sends, with the same value in create, so
// Prisma sends INSERT ... ON CONFLICT DO UPDATE.
import { prisma } from './prisma';

export async function ensureWorkspace(batch: { workspaceId: string; machineId: string; path: string }) {
  return prisma.devlogWorkspace.upsert({
    where: { workspaceId: batch.workspaceId },
    create: { workspaceId: batch.workspaceId, machineId: batch.machineId, workspacePath: batch.path },
    update: { lastSeenAt: new Date() },
  });
}
