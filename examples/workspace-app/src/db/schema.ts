import { pgTable, uuid, text, boolean, timestamp } from 'drizzle-orm/pg-core';

export const workspaces = pgTable('workspaces', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
});

export const appUsers = pgTable('app_users', {
  id: uuid('id').primaryKey().defaultRandom(),
  privyDid: text('privy_did').notNull().unique(),
  primaryWorkspaceId: uuid('primary_workspace_id').notNull().references(() => workspaces.id),
});

export const workspaceMembers = pgTable('app_workspace_members', {
  workspaceId: uuid('workspace_id').notNull(),
  userId: text('privy_did').notNull(),
  isPrimary: boolean('is_primary').notNull().default(false),
  joinedAt: timestamp('joined_at', { withTimezone: true }).notNull().defaultNow(),
});
