// Field report 03: first login. The membership's workspace can be deleted between the read and
// the insert (or be long gone), and the insert then violates app_users' foreign key.
import { and, desc, eq } from 'drizzle-orm';
import { db } from './db';
import { appUsers, workspaceMembers } from './db/schema';

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
