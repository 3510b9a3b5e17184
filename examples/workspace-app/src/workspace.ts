// Field report 03: first login. The membership's workspace can be deleted between the read and
// the insert (or be long gone), and the insert then violates app_users' foreign key.
import { and, desc, eq } from 'drizzle-orm';
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
    let primaryWorkspaceId: string;
    if (existingMembership) {
      primaryWorkspaceId = existingMembership.workspaceId;
      const inserted = await tx
        .insert(appUsers)
        .values({ privyDid: userId, primaryWorkspaceId })
        .onConflictDoNothing()
        .returning();
      return inserted[0];
    }
    return null;
  });
}

// Workspaces are deleted when their owner closes them (members cascade with them).
export async function deleteWorkspace(workspaceId: string) {
  await db.delete(workspaces).where(eq(workspaces.id, workspaceId));
}
