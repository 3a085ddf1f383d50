import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The PostgreSQL schema: the same tables, columns and constraint names as the SQLite one
 * (../sqlite/schema.ts), so both dialects of SQL in the repositories read alike and the constraint
 * names that ./constraints.ts maps onto domain errors are shared. Times are bigint epoch
 * milliseconds (the core's Millis, exact); lists are jsonb; flags are boolean.
 */

const millis = (name: string) => bigint(name, { mode: 'number' });

export const orgs = pgTable('orgs', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  plan: text('plan', { enum: ['free', 'pro', 'enterprise'] }).notNull(),
  createdAt: millis('created_at').notNull(),
  updatedAt: millis('updated_at').notNull(),
});

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull().references(() => orgs.id),
    name: text('name').notNull(),
    email: text('email'),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('users_email_uq').on(t.email).where(sql`${t.email} IS NOT NULL`),
    index('users_org_idx').on(t.orgId),
  ],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull().references(() => orgs.id),
    userId: text('user_id').references(() => users.id),
    name: text('name').notNull(),
    scopes: jsonb('scopes').notNull(),
    tokenHash: text('token_hash').notNull(),
    lastUsedAt: millis('last_used_at'),
    expiresAt: millis('expires_at'),
    revokedAt: millis('revoked_at'),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('api_keys_token_hash_uq').on(t.tokenHash),
    index('api_keys_org_list_idx').on(t.orgId, t.createdAt.desc(), t.id.desc()),
  ],
);

export const phoneNumbers = pgTable(
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
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
    deletedAt: millis('deleted_at'),
  },
  (t) => [
    uniqueIndex('phone_numbers_meta_live_uq').on(t.platform, t.metaPhoneNumberId).where(sql`${t.deletedAt} IS NULL`),
    index('phone_numbers_org_list_idx').on(t.orgId, t.createdAt.desc(), t.id.desc()).where(sql`${t.deletedAt} IS NULL`),
    index('phone_numbers_user_idx').on(t.userId),
  ],
);

export const agents = pgTable(
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
    includeSystemPrompt: boolean('include_system_prompt').notNull(),
    tools: jsonb('tools').notNull(),
    connectors: jsonb('connectors').notNull(),
    subAgents: jsonb('sub_agents').notNull(),
    dataSources: jsonb('data_sources').notNull(),
    isActive: boolean('is_active').notNull(),
    deactivatedReason: text('deactivated_reason'),
    deactivatedAt: millis('deactivated_at'),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
    deletedAt: millis('deleted_at'),
  },
  (t) => [
    // R1: at most one active agent per phone number.
    uniqueIndex('agents_active_phone_uq')
      .on(t.phoneNumberId)
      .where(sql`${t.deletedAt} IS NULL AND ${t.isActive} AND ${t.phoneNumberId} IS NOT NULL`),
    // R4: handles are unique per org among live agents, compared case-insensitively. Handles are
    // ASCII; lower() under the "C" collation folds ASCII only, as SQLite's does, whatever the
    // database's collation (under a Turkish one, lower('I') would be 'ı' and 'Ida' differ from 'ida').
    uniqueIndex('agents_org_handle_live_uq').on(t.orgId, sql`lower(${t.handle} COLLATE "C")`).where(sql`${t.deletedAt} IS NULL`),
    index('agents_org_list_idx').on(t.orgId, t.createdAt.desc(), t.id.desc()).where(sql`${t.deletedAt} IS NULL`),
    index('agents_phone_idx').on(t.phoneNumberId),
  ],
);

export const conversations = pgTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull().references(() => orgs.id),
    phoneNumberId: text('phone_number_id').notNull().references(() => phoneNumbers.id),
    /** null for a customer's messages to a number that had no active agent. */
    agentId: text('agent_id').references(() => agents.id),
    customerId: text('customer_id').notNull(),
    status: text('status', { enum: ['active', 'archived'] }).notNull(),
    archivedAt: millis('archived_at'),
    archiveReason: text('archive_reason'),
    messageCount: integer('message_count').notNull(),
    lastMessageAt: millis('last_message_at'),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
    /** Latest activity, the list order: the last message's time, else the creation time. */
    activityAt: millis('activity_at').generatedAlwaysAs(sql`coalesce(last_message_at, created_at)`),
  },
  (t) => [
    uniqueIndex('conversations_active_customer_uq').on(t.phoneNumberId, t.customerId).where(sql`${t.status} = 'active'`),
    index('conversations_org_list_idx').on(t.orgId, t.activityAt.desc(), t.id.desc()),
    index('conversations_phone_idx').on(t.phoneNumberId),
    index('conversations_agent_idx').on(t.agentId),
  ],
);

export const messages = pgTable(
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
    createdAt: millis('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('messages_platform_uq').on(t.phoneNumberId, t.platformMessageId),
    uniqueIndex('messages_conversation_seq_uq').on(t.conversationId, t.seq),
  ],
);

export const archivalRecords = pgTable(
  'archival_records',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull().references(() => orgs.id),
    phoneNumberId: text('phone_number_id').notNull().references(() => phoneNumbers.id),
    previousAgentId: text('previous_agent_id').references(() => agents.id),
    newAgentId: text('new_agent_id').notNull().references(() => agents.id),
    conversationsArchived: integer('conversations_archived').notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (t) => [index('archival_records_phone_idx').on(t.phoneNumberId, t.createdAt)],
);

export const idempotencyRecords = pgTable(
  'idempotency_records',
  {
    keyId: text('key_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    /** null while the first request is still running. */
    status: integer('status'),
    body: text('body'),
    lockedAt: millis('locked_at').notNull(),
    createdAt: millis('created_at').notNull(),
    expiresAt: millis('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.idempotencyKey] }), index('idempotency_records_expires_idx').on(t.expiresAt)],
);

/** rate-limiter-flexible's PostgreSQL store (RateLimiterPostgres with tableCreated: true): its own layout. */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  points: integer('points').notNull().default(0),
  expire: bigint('expire', { mode: 'number' }),
});

/**
 * The reply queue (§8): one row per conversation with customer messages waiting for an answer.
 * `epoch` fences every write of a claim; `leased_until` null means nobody holds it.
 */
export const replyJobs = pgTable(
  'reply_jobs',
  {
    conversationId: text('conversation_id').primaryKey().references(() => conversations.id),
    orgId: text('org_id').notNull().references(() => orgs.id),
    phoneNumberId: text('phone_number_id').notNull().references(() => phoneNumbers.id),
    uptoSeq: integer('upto_seq').notNull(),
    answeredSeq: integer('answered_seq').notNull(),
    claimedSeq: integer('claimed_seq').notNull(),
    dueAt: millis('due_at').notNull(),
    deadlineAt: millis('deadline_at').notNull(),
    epoch: integer('epoch').notNull(),
    leasedUntil: millis('leased_until'),
    attempts: integer('attempts').notNull(),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (t) => [index('reply_jobs_due_idx').on(t.dueAt)],
);
