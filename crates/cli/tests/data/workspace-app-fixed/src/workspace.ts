// Fixed: the workspace is locked (FOR KEY SHARE) while the user row that references it is
// inserted, and a membership whose workspace is gone is skipped.
import { desc, eq } from 'drizzle-orm';
import { db } from './db';
import { appUsers, workspaceMembers, workspaces } from './db/schema';

export async function ensureUserWorkspace(userId: string) {
  return db.transaction(async (tx) => {
    const existingMembershipRows = await tx
      .select()
      .from(workspaceMembers)
      .where(eq(workspaceMembers.userId, userId))
      .orderBy(desc(workspaceMembers.isPrimary), desc(workspaceMembers.joinedAt))
      .limit(1);
    const existingMembership = existingMembershipRows[0];
    if (!existingMembership) return null;
    const [workspace] = await tx
      .select()
      .from(workspaces)
      .where(eq(workspaces.id, existingMembership.workspaceId))
      .for('key share');
    if (!workspace) return null;
    const inserted = await tx
      .insert(appUsers)
      .values({ privyDid: userId, primaryWorkspaceId: workspace.id })
      .onConflictDoNothing()
      .returning();
    return inserted[0];
  });
}

// Workspaces are deleted when their owner closes them (members cascade with them).
export async function deleteWorkspace(workspaceId: string) {
  await db.delete(workspaces).where(eq(workspaces.id, workspaceId));
}
