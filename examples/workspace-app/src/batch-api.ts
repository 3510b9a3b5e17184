// Field report 01, the API side: the batch endpoint upserts the workspace before inserting
// events. The upsert looks the row up by `id` but creates it with `workspaceId`, so Prisma runs
// it as SELECT then INSERT; concurrent batches for the same workspace then fail with
// "Unique constraint failed on the fields: (`workspace_id`)".
import { prisma } from './prisma';

export async function ensureWorkspace(batch: { workspaceDbId: number; workspaceId: string; machineId: string; path: string }) {
  return prisma.devlogWorkspace.upsert({
    where: { id: batch.workspaceDbId },
    create: { workspaceId: batch.workspaceId, machineId: batch.machineId, workspacePath: batch.path },
    update: { lastSeenAt: new Date() },
  });
}
