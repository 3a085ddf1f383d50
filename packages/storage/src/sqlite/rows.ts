import type { Agent, AgentSummary, ApiKey, ArchivalRecord, Conversation, Message, Org, PhoneNumber, ReplyJob, User } from '@gateway/core';
import type { IdempotencyRecord } from '@gateway/core';

/**
 * Rows as better-sqlite3 returns them (snake_case, booleans as 0/1, lists as JSON text) and the
 * mapping to and from the core's entities. Named statement parameters use the same snake_case
 * names, so a `…Params` object binds straight into an INSERT or UPDATE.
 */

type Bool = 0 | 1;
const bool = (value: boolean): Bool => (value ? 1 : 0);

export interface OrgRow {
  id: string;
  name: string;
  plan: Org['plan'];
  created_at: number;
  updated_at: number;
}

export const orgFromRow = (r: OrgRow): Org => ({ id: r.id, name: r.name, plan: r.plan, createdAt: r.created_at, updatedAt: r.updated_at });
export const orgParams = (o: Org): OrgRow => ({ id: o.id, name: o.name, plan: o.plan, created_at: o.createdAt, updated_at: o.updatedAt });

export interface UserRow {
  id: string;
  org_id: string;
  name: string;
  email: string | null;
  created_at: number;
  updated_at: number;
}

export const userFromRow = (r: UserRow): User => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  email: r.email,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
export const userParams = (u: User): UserRow => ({
  id: u.id,
  org_id: u.orgId,
  name: u.name,
  email: u.email,
  created_at: u.createdAt,
  updated_at: u.updatedAt,
});

export interface ApiKeyRow {
  id: string;
  org_id: string;
  user_id: string | null;
  name: string;
  scopes: string;
  token_hash: string;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
  created_at: number;
}

export const apiKeyFromRow = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  orgId: r.org_id,
  userId: r.user_id,
  name: r.name,
  scopes: JSON.parse(r.scopes) as ApiKey['scopes'],
  tokenHash: r.token_hash,
  lastUsedAt: r.last_used_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  createdAt: r.created_at,
});
export const apiKeyParams = (k: ApiKey): ApiKeyRow => ({
  id: k.id,
  org_id: k.orgId,
  user_id: k.userId,
  name: k.name,
  scopes: JSON.stringify(k.scopes),
  token_hash: k.tokenHash,
  last_used_at: k.lastUsedAt,
  expires_at: k.expiresAt,
  revoked_at: k.revokedAt,
  created_at: k.createdAt,
});

/** The access token column is never selected into this row: reads do not need the secret. */
export interface PhoneNumberRow {
  id: string;
  org_id: string;
  user_id: string;
  platform: PhoneNumber['platform'];
  meta_phone_number_id: string;
  display_name: string | null;
  waba_id: string | null;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export const PHONE_NUMBER_COLUMNS =
  'id, org_id, user_id, platform, meta_phone_number_id, display_name, waba_id, created_at, updated_at, deleted_at';

export const phoneNumberFromRow = (r: PhoneNumberRow): PhoneNumber => ({
  id: r.id,
  orgId: r.org_id,
  userId: r.user_id,
  platform: r.platform,
  metaPhoneNumberId: r.meta_phone_number_id,
  displayName: r.display_name,
  wabaId: r.waba_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
});
/** `access_token` is the sealed token, or null to keep (update) or leave empty (insert). */
export const phoneNumberParams = (p: PhoneNumber, sealedToken: string | null): PhoneNumberRow & { access_token: string | null } => ({
  id: p.id,
  org_id: p.orgId,
  user_id: p.userId,
  platform: p.platform,
  meta_phone_number_id: p.metaPhoneNumberId,
  display_name: p.displayName,
  waba_id: p.wabaId,
  access_token: sealedToken,
  created_at: p.createdAt,
  updated_at: p.updatedAt,
  deleted_at: p.deletedAt,
});

export interface AgentRow {
  id: string;
  org_id: string;
  user_id: string | null;
  handle: string;
  name: string;
  description: string | null;
  instructions: string | null;
  instructions_html: string | null;
  prompt_id: string | null;
  phone_number_id: string | null;
  model: string | null;
  color: string;
  avatar: string | null;
  include_system_prompt: Bool;
  tools: string;
  connectors: string;
  sub_agents: string;
  data_sources: string;
  is_active: Bool;
  deactivated_reason: string | null;
  deactivated_at: number | null;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export const agentFromRow = (r: AgentRow): Agent => ({
  id: r.id,
  orgId: r.org_id,
  userId: r.user_id,
  handle: r.handle,
  name: r.name,
  description: r.description,
  instructions: r.instructions,
  instructionsHtml: r.instructions_html,
  promptId: r.prompt_id,
  phoneNumberId: r.phone_number_id,
  model: r.model,
  color: r.color,
  avatar: r.avatar,
  includeSystemPrompt: r.include_system_prompt === 1,
  tools: JSON.parse(r.tools) as Agent['tools'],
  connectors: JSON.parse(r.connectors) as Agent['connectors'],
  subAgents: JSON.parse(r.sub_agents) as Agent['subAgents'],
  dataSources: JSON.parse(r.data_sources) as Agent['dataSources'],
  isActive: r.is_active === 1,
  deactivatedReason: r.deactivated_reason,
  deactivatedAt: r.deactivated_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
});
/** The columns of a list row: no instruction texts, and the array lengths computed by SQLite. */
export const AGENT_SUMMARY_COLUMNS = `a.id, a.org_id, a.user_id, a.handle, a.name, a.description, a.prompt_id, a.phone_number_id,
  a.model, a.color, a.avatar, a.include_system_prompt, a.is_active, a.deactivated_reason, a.deactivated_at,
  a.created_at, a.updated_at, a.deleted_at,
  json_array_length(a.tools) AS tools_count, json_array_length(a.sub_agents) AS sub_agents_count`;

/** A list row read raw: the values of AGENT_SUMMARY_COLUMNS, in that order. */
export type AgentSummaryRaw = [
  id: string, org_id: string, user_id: string | null, handle: string, name: string, description: string | null,
  prompt_id: string | null, phone_number_id: string | null, model: string | null, color: string, avatar: string | null,
  include_system_prompt: Bool, is_active: Bool, deactivated_reason: string | null, deactivated_at: number | null,
  created_at: number, updated_at: number, deleted_at: number | null, tools_count: number, sub_agents_count: number,
];

export const agentSummaryFromRaw = (r: AgentSummaryRaw): AgentSummary => ({
  id: r[0],
  orgId: r[1],
  userId: r[2],
  handle: r[3],
  name: r[4],
  description: r[5],
  promptId: r[6],
  phoneNumberId: r[7],
  model: r[8],
  color: r[9],
  avatar: r[10],
  includeSystemPrompt: r[11] === 1,
  isActive: r[12] === 1,
  deactivatedReason: r[13],
  deactivatedAt: r[14],
  createdAt: r[15],
  updatedAt: r[16],
  deletedAt: r[17],
  toolsCount: r[18],
  subAgentsCount: r[19],
});

export const agentParams = (a: Agent): AgentRow => ({
  id: a.id,
  org_id: a.orgId,
  user_id: a.userId,
  handle: a.handle,
  name: a.name,
  description: a.description,
  instructions: a.instructions,
  instructions_html: a.instructionsHtml,
  prompt_id: a.promptId,
  phone_number_id: a.phoneNumberId,
  model: a.model,
  color: a.color,
  avatar: a.avatar,
  include_system_prompt: bool(a.includeSystemPrompt),
  tools: JSON.stringify(a.tools),
  connectors: JSON.stringify(a.connectors),
  sub_agents: JSON.stringify(a.subAgents),
  data_sources: JSON.stringify(a.dataSources),
  is_active: bool(a.isActive),
  deactivated_reason: a.deactivatedReason,
  deactivated_at: a.deactivatedAt,
  created_at: a.createdAt,
  updated_at: a.updatedAt,
  deleted_at: a.deletedAt,
});

export interface ConversationRow {
  id: string;
  org_id: string;
  phone_number_id: string;
  agent_id: string | null;
  customer_id: string;
  status: Conversation['status'];
  archived_at: number | null;
  archive_reason: string | null;
  message_count: number;
  last_message_at: number | null;
  created_at: number;
  updated_at: number;
}

export const CONVERSATION_COLUMNS =
  'id, org_id, phone_number_id, agent_id, customer_id, status, archived_at, archive_reason, message_count, last_message_at, created_at, updated_at';

export const conversationFromRow = (r: ConversationRow): Conversation => ({
  id: r.id,
  orgId: r.org_id,
  phoneNumberId: r.phone_number_id,
  agentId: r.agent_id,
  customerId: r.customer_id,
  status: r.status,
  archivedAt: r.archived_at,
  archiveReason: r.archive_reason,
  messageCount: r.message_count,
  lastMessageAt: r.last_message_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
export const conversationParams = (c: Conversation): ConversationRow => ({
  id: c.id,
  org_id: c.orgId,
  phone_number_id: c.phoneNumberId,
  agent_id: c.agentId,
  customer_id: c.customerId,
  status: c.status,
  archived_at: c.archivedAt,
  archive_reason: c.archiveReason,
  message_count: c.messageCount,
  last_message_at: c.lastMessageAt,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
});

export interface MessageRow {
  id: string;
  conversation_id: string;
  phone_number_id: string;
  seq: number;
  role: Message['role'];
  text: string;
  type: string;
  platform_message_id: string | null;
  status: Message['status'];
  failure_reason: string | null;
  created_at: number;
}

export const messageFromRow = (r: MessageRow): Message => ({
  id: r.id,
  conversationId: r.conversation_id,
  phoneNumberId: r.phone_number_id,
  seq: r.seq,
  role: r.role,
  text: r.text,
  type: r.type,
  platformMessageId: r.platform_message_id,
  status: r.status,
  failureReason: r.failure_reason,
  createdAt: r.created_at,
});
export const messageParams = (m: Message): MessageRow => ({
  id: m.id,
  conversation_id: m.conversationId,
  phone_number_id: m.phoneNumberId,
  seq: m.seq,
  role: m.role,
  text: m.text,
  type: m.type,
  platform_message_id: m.platformMessageId,
  status: m.status,
  failure_reason: m.failureReason,
  created_at: m.createdAt,
});

export interface ReplyJobRow {
  conversation_id: string;
  org_id: string;
  phone_number_id: string;
  upto_seq: number;
  answered_seq: number;
  claimed_seq: number;
  due_at: number;
  deadline_at: number;
  epoch: number;
  leased_until: number | null;
  attempts: number;
  created_at: number;
  updated_at: number;
}

export const replyJobFromRow = (r: ReplyJobRow): ReplyJob => ({
  conversationId: r.conversation_id,
  orgId: r.org_id,
  phoneNumberId: r.phone_number_id,
  uptoSeq: r.upto_seq,
  answeredSeq: r.answered_seq,
  claimedSeq: r.claimed_seq,
  dueAt: r.due_at,
  deadlineAt: r.deadline_at,
  epoch: r.epoch,
  leasedUntil: r.leased_until,
  attempts: r.attempts,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * The reply queue's statements, the same text on SQLite and PostgreSQL (named `@params`). `enqueue`
 * is one upsert: the three cases of the port (no job; a job nobody holds; a job being answered, whose
 * next turn starts its own deadline with the first message that arrives during it).
 */
export const REPLY_JOB_SQL = {
  enqueue: `INSERT INTO reply_jobs (conversation_id, org_id, phone_number_id, upto_seq, answered_seq, claimed_seq, due_at, deadline_at,
       epoch, leased_until, attempts, created_at, updated_at)
     VALUES (@conversation_id, @org_id, @phone_number_id, @seq, 0, 0, @debounced, @deadline, 0, NULL, 0, @at, @at)
     ON CONFLICT (conversation_id) DO UPDATE SET
       deadline_at = CASE
         WHEN reply_jobs.leased_until > @at AND reply_jobs.upto_seq <= reply_jobs.claimed_seq THEN CAST(@deadline AS BIGINT)
         WHEN reply_jobs.upto_seq <= reply_jobs.answered_seq THEN CAST(@deadline AS BIGINT)
         ELSE reply_jobs.deadline_at END,
       due_at = CASE
         WHEN reply_jobs.leased_until > @at AND reply_jobs.upto_seq <= reply_jobs.claimed_seq THEN min_of(CAST(@debounced AS BIGINT), CAST(@deadline AS BIGINT))
         WHEN reply_jobs.upto_seq <= reply_jobs.answered_seq THEN min_of(CAST(@debounced AS BIGINT), CAST(@deadline AS BIGINT))
         ELSE min_of(CAST(@debounced AS BIGINT), reply_jobs.deadline_at) END,
       upto_seq = max_of(reply_jobs.upto_seq, @seq),
       updated_at = @at`,
  claimable: `SELECT conversation_id FROM reply_jobs
     WHERE due_at <= @at AND (leased_until IS NULL OR leased_until <= @at) AND NOT (org_id IN skip_list)
     ORDER BY due_at, conversation_id LIMIT @limit`,
  claim: `UPDATE reply_jobs SET epoch = epoch + 1, claimed_seq = upto_seq, attempts = attempts + 1, leased_until = @lease_until, updated_at = @at
     WHERE conversation_id IN (claimable) RETURNING *`,
  get: 'SELECT * FROM reply_jobs WHERE conversation_id = @conversation_id',
  held: 'SELECT * FROM reply_jobs WHERE conversation_id = @conversation_id AND epoch = @epoch',
  renew: 'UPDATE reply_jobs SET leased_until = @lease_until WHERE conversation_id = @conversation_id AND epoch = @epoch RETURNING epoch',
  markAnswered:
    'UPDATE reply_jobs SET answered_seq = claimed_seq, updated_at = @at WHERE conversation_id = @conversation_id AND epoch = @epoch RETURNING epoch',
  finishDone:
    'DELETE FROM reply_jobs WHERE conversation_id = @conversation_id AND epoch = @epoch AND answered_seq >= upto_seq RETURNING epoch',
  finishAgain:
    'UPDATE reply_jobs SET leased_until = NULL, updated_at = @at WHERE conversation_id = @conversation_id AND epoch = @epoch RETURNING epoch',
  drop: 'DELETE FROM reply_jobs WHERE conversation_id = @conversation_id AND epoch = @epoch RETURNING epoch',
  release:
    'UPDATE reply_jobs SET leased_until = NULL, due_at = @at, updated_at = @at WHERE conversation_id = @conversation_id AND epoch = @epoch RETURNING epoch',
  depth: `SELECT
       count(*) FILTER (WHERE (leased_until IS NULL OR leased_until <= @at) AND due_at <= @at) AS due,
       count(*) FILTER (WHERE (leased_until IS NULL OR leased_until <= @at) AND due_at > @at) AS waiting,
       count(*) FILTER (WHERE leased_until > @at) AS held
     FROM reply_jobs`,
} as const;

/** The message statements both drivers share. */
export const MESSAGE_SQL = {
  get: 'SELECT * FROM messages WHERE id = @id',
  latest: 'SELECT * FROM (SELECT * FROM messages WHERE conversation_id = @conversation_id ORDER BY seq DESC LIMIT @limit) latest ORDER BY seq',
  pending: "SELECT * FROM messages WHERE conversation_id = @conversation_id AND role = 'assistant' AND status = 'pending' ORDER BY seq",
  byPlatformId: 'SELECT * FROM messages WHERE phone_number_id = @phone_number_id AND platform_message_id = @platform_message_id',
} as const;

export interface ArchivalRow {
  id: string;
  org_id: string;
  phone_number_id: string;
  previous_agent_id: string | null;
  new_agent_id: string;
  conversations_archived: number;
  created_at: number;
}

export const archivalFromRow = (r: ArchivalRow): ArchivalRecord => ({
  id: r.id,
  orgId: r.org_id,
  phoneNumberId: r.phone_number_id,
  previousAgentId: r.previous_agent_id,
  newAgentId: r.new_agent_id,
  conversationsArchived: r.conversations_archived,
  createdAt: r.created_at,
});
export const archivalParams = (a: ArchivalRecord): ArchivalRow => ({
  id: a.id,
  org_id: a.orgId,
  phone_number_id: a.phoneNumberId,
  previous_agent_id: a.previousAgentId,
  new_agent_id: a.newAgentId,
  conversations_archived: a.conversationsArchived,
  created_at: a.createdAt,
});

export interface IdempotencyRow {
  key_id: string;
  idempotency_key: string;
  fingerprint: string;
  status: number | null;
  body: string | null;
  locked_at: number;
  created_at: number;
  expires_at: number;
}

export const idempotencyFromRow = (r: IdempotencyRow): IdempotencyRecord => ({
  keyId: r.key_id,
  idempotencyKey: r.idempotency_key,
  fingerprint: r.fingerprint,
  status: r.status,
  body: r.body,
  lockedAt: r.locked_at,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});
export const idempotencyParams = (r: IdempotencyRecord): IdempotencyRow => ({
  key_id: r.keyId,
  idempotency_key: r.idempotencyKey,
  fingerprint: r.fingerprint,
  status: r.status,
  body: r.body,
  locked_at: r.lockedAt,
  created_at: r.createdAt,
  expires_at: r.expiresAt,
});
