import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The SQLite schema. Times are integer epoch milliseconds; lists and objects are JSON text.
 * The repositories speak plain SQL to these tables (see ./repositories), and the constraint
 * names below are what ./constraints.ts maps back onto domain errors: rename one, update both.
 */

export const orgs = sqliteTable('orgs', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  plan: text('plan', { enum: ['free', 'pro', 'enterprise'] }).notNull(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull().references(() => orgs.id),
    name: text('name').notNull(),
    email: text('email'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('users_email_uq').on(t.email).where(sql`${t.email} IS NOT NULL`),
    index('users_org_idx').on(t.orgId),
  ],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull().references(() => orgs.id),
    userId: text('user_id').references(() => users.id),
    name: text('name').notNull(),
    /** JSON array of scope names. */
    scopes: text('scopes').notNull(),
    tokenHash: text('token_hash').notNull(),
    lastUsedAt: integer('last_used_at'),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('api_keys_token_hash_uq').on(t.tokenHash),
    index('api_keys_org_list_idx').on(t.orgId, sql`${t.createdAt} DESC`, sql`${t.id} DESC`),
  ],
);

export const phoneNumbers = sqliteTable(
  'phone_numbers',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull().references(() => orgs.id),
    userId: text('user_id').notNull().references(() => users.id),
    platform: text('platform', { enum: ['whatsapp', 'instagram'] }).notNull(),
    metaPhoneNumberId: text('meta_phone_number_id').notNull(),
    displayName: text('display_name'),
    wabaId: text('waba_id'),
    /** Sealed by the storage's SecretCipher; never the plain token. */
    accessToken: text('access_token'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    deletedAt: integer('deleted_at'),
  },
  (t) => [
    uniqueIndex('phone_numbers_meta_live_uq').on(t.platform, t.metaPhoneNumberId).where(sql`${t.deletedAt} IS NULL`),
    index('phone_numbers_org_list_idx')
      .on(t.orgId, sql`${t.createdAt} DESC`, sql`${t.id} DESC`)
      .where(sql`${t.deletedAt} IS NULL`),
    index('phone_numbers_user_idx').on(t.userId),
  ],
);

export const agents = sqliteTable(
  'agents',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull().references(() => orgs.id),
    userId: text('user_id').references(() => users.id),
    handle: text('handle').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    instructions: text('instructions'),
    instructionsHtml: text('instructions_html'),
    promptId: text('prompt_id'),
    phoneNumberId: text('phone_number_id').references(() => phoneNumbers.id),
    model: text('model'),
    color: text('color').notNull(),
    avatar: text('avatar'),
    includeSystemPrompt: integer('include_system_prompt', { mode: 'boolean' }).notNull(),
    /** JSON arrays. */
    tools: text('tools').notNull(),
    connectors: text('connectors').notNull(),
    subAgents: text('sub_agents').notNull(),
    dataSources: text('data_sources').notNull(),
    isActive: integer('is_active', { mode: 'boolean' }).notNull(),
    deactivatedReason: text('deactivated_reason'),
    deactivatedAt: integer('deactivated_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    deletedAt: integer('deleted_at'),
  },
  (t) => [
    // R1: at most one active agent per phone number.
    uniqueIndex('agents_active_phone_uq')
      .on(t.phoneNumberId)
      .where(sql`${t.deletedAt} IS NULL AND ${t.isActive} = 1 AND ${t.phoneNumberId} IS NOT NULL`),
    // R4: handles are unique per org among live agents, compared case-insensitively.
    uniqueIndex('agents_org_handle_live_uq')
      .on(t.orgId, sql`lower(${t.handle})`)
      .where(sql`${t.deletedAt} IS NULL`),
    index('agents_org_list_idx')
      .on(t.orgId, sql`${t.createdAt} DESC`, sql`${t.id} DESC`)
      .where(sql`${t.deletedAt} IS NULL`),
    index('agents_phone_idx').on(t.phoneNumberId),
  ],
);

export const conversations = sqliteTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull().references(() => orgs.id),
    phoneNumberId: text('phone_number_id').notNull().references(() => phoneNumbers.id),
    /** null for a customer's messages to a number that had no active agent. */
    agentId: text('agent_id').references(() => agents.id),
    customerId: text('customer_id').notNull(),
    status: text('status', { enum: ['active', 'archived'] }).notNull(),
    archivedAt: integer('archived_at'),
    archiveReason: text('archive_reason'),
    messageCount: integer('message_count').notNull(),
    lastMessageAt: integer('last_message_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    /** Latest activity, the list order: the last message's time, else the creation time. */
    activityAt: integer('activity_at').generatedAlwaysAs(sql`coalesce(last_message_at, created_at)`, { mode: 'virtual' }),
  },
  (t) => [
    // One active conversation per customer and number; also serves findActive and archiveOthers.
    uniqueIndex('conversations_active_customer_uq')
      .on(t.phoneNumberId, t.customerId)
      .where(sql`${t.status} = 'active'`),
    index('conversations_org_list_idx').on(t.orgId, sql`${t.activityAt} DESC`, sql`${t.id} DESC`),
    index('conversations_phone_idx').on(t.phoneNumberId),
    index('conversations_agent_idx').on(t.agentId),
  ],
);

export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id').notNull().references(() => conversations.id),
    phoneNumberId: text('phone_number_id').notNull().references(() => phoneNumbers.id),
    seq: integer('seq').notNull(),
    role: text('role', { enum: ['user', 'assistant'] }).notNull(),
    text: text('text').notNull(),
    type: text('type').notNull(),
    platformMessageId: text('platform_message_id'),
    /** §8: received (customer), pending, sent, delivered, read, failed (replies). */
    status: text('status', { enum: ['received', 'pending', 'sent', 'delivered', 'read', 'failed'] }).notNull().default('received'),
    failureReason: text('failure_reason'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('messages_platform_uq').on(t.phoneNumberId, t.platformMessageId),
    uniqueIndex('messages_conversation_seq_uq').on(t.conversationId, t.seq),
  ],
);

export const archivalRecords = sqliteTable(
  'archival_records',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull().references(() => orgs.id),
    phoneNumberId: text('phone_number_id').notNull().references(() => phoneNumbers.id),
    previousAgentId: text('previous_agent_id').references(() => agents.id),
    newAgentId: text('new_agent_id').notNull().references(() => agents.id),
    conversationsArchived: integer('conversations_archived').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('archival_records_phone_idx').on(t.phoneNumberId, t.createdAt)],
);

export const idempotencyRecords = sqliteTable(
  'idempotency_records',
  {
    keyId: text('key_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    /** null while the first request is still running. */
    status: integer('status'),
    body: text('body'),
    lockedAt: integer('locked_at').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.idempotencyKey] }), index('idempotency_records_expires_idx').on(t.expiresAt)],
);

/**
 * The reply queue (§8): one row per conversation with customer messages waiting for an answer.
 * `epoch` fences every write of a claim; `leased_until` null means nobody holds it.
 */
export const replyJobs = sqliteTable(
  'reply_jobs',
  {
    conversationId: text('conversation_id').primaryKey().references(() => conversations.id),
    orgId: text('org_id').notNull().references(() => orgs.id),
    phoneNumberId: text('phone_number_id').notNull().references(() => phoneNumbers.id),
    uptoSeq: integer('upto_seq').notNull(),
    answeredSeq: integer('answered_seq').notNull(),
    claimedSeq: integer('claimed_seq').notNull(),
    dueAt: integer('due_at').notNull(),
    deadlineAt: integer('deadline_at').notNull(),
    epoch: integer('epoch').notNull(),
    leasedUntil: integer('leased_until'),
    attempts: integer('attempts').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('reply_jobs_due_idx').on(t.dueAt)],
);
