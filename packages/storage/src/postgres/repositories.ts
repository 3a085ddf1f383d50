import type {
  Agent,
  AgentRepository,
  ApiKeyRepository,
  ArchivalRepository,
  ArchivedGroup,
  ClaimResult,
  ConversationRepository,
  IdempotencyRepository,
  Locks,
  MessageRepository,
  OrgRepository,
  PhoneNumberRepository,
  Repositories,
  UserRepository,
  Visibility,
} from '@gateway/core';
import type { SecretCipher } from '@gateway/platform';
import { byAgent } from '../sqlite/repositories/conversations';
import {
  AGENT_SUMMARY_COLUMNS,
  agentFromRow,
  agentParams,
  agentSummaryFromRaw,
  apiKeyFromRow,
  apiKeyParams,
  archivalFromRow,
  archivalParams,
  CONVERSATION_COLUMNS,
  conversationFromRow,
  conversationParams,
  idempotencyFromRow,
  idempotencyParams,
  messageFromRow,
  messageParams,
  orgFromRow,
  orgParams,
  PHONE_NUMBER_COLUMNS,
  phoneNumberFromRow,
  phoneNumberParams,
  userFromRow,
  userParams,
  type AgentRow,
  type AgentSummaryRaw,
  type ApiKeyRow,
  type ArchivalRow,
  type ConversationRow,
  type IdempotencyRow,
  type MessageRow,
  type OrgRow,
  type PhoneNumberRow,
  type UserRow,
} from '../sqlite/rows';
import type { PgConnection } from './client';
import { agentHandleTaken, agentIdTaken, emailTaken, guarded, phoneNumberExists, phoneNumberInUse } from './constraints';
import { listPage } from './paging';
import { messageStatusMethods, replyJobRepository, type Statements } from '../shared/replies';

/**
 * The repositories on one connection (a pooled client inside a transaction). The SQL is the
 * SQLite adapter's, in PostgreSQL's words where they differ (jsonb functions, row locks); rows map
 * through the same ../sqlite/rows.ts, which ./client.ts makes possible by reading booleans as 1/0,
 * bigints as numbers and jsonb as text.
 */
export function postgresRepositories(conn: PgConnection, cipher: SecretCipher): Repositories {
  return {
    locks: locks(conn),
    orgs: orgRepository(conn),
    users: userRepository(conn),
    apiKeys: apiKeyRepository(conn),
    phoneNumbers: phoneNumberRepository(conn, cipher),
    agents: agentRepository(conn),
    conversations: conversationRepository(conn),
    messages: messageRepository(conn),
    archivals: archivalRepository(conn),
    idempotency: idempotencyRepository(conn),
    replyJobs: replyJobRepository(pgStatements(conn)),
  };
}

/** The shared statements (../shared) over one PostgreSQL connection. */
function pgStatements(conn: PgConnection): Statements {
  return {
    dialect: 'postgres',
    all: (sql, params) => conn.all(sql, params),
    one: (sql, params) => conn.one(sql, params),
    run: async (sql, params) => (await conn.run(sql, params)).rowCount ?? 0,
  };
}

/** Row locks, held to the end of the transaction (ADR 0006). A missing row locks nothing, and needs nothing. */
function locks(conn: PgConnection): Locks {
  return {
    async org(orgId) {
      await conn.run('SELECT 1 FROM orgs WHERE id = @id FOR UPDATE', { id: orgId });
    },
    async phoneNumber(phoneNumberId) {
      await conn.run('SELECT 1 FROM phone_numbers WHERE id = @id FOR UPDATE', { id: phoneNumberId });
    },
  };
}

function orgRepository(conn: PgConnection): OrgRepository {
  return {
    async insert(org) {
      await conn.run('INSERT INTO orgs (id, name, plan, created_at, updated_at) VALUES (@id, @name, @plan, @created_at, @updated_at)', { ...orgParams(org) });
    },
    async get(id) {
      const row = await conn.one<OrgRow>('SELECT * FROM orgs WHERE id = @id', { id });
      return row ? orgFromRow(row) : null;
    },
    async count() {
      return (await conn.one<{ n: number }>('SELECT count(*) AS n FROM orgs'))?.n ?? 0;
    },
    async list() {
      return (await conn.all<OrgRow>('SELECT * FROM orgs ORDER BY created_at DESC, id DESC')).map(orgFromRow);
    },
  };
}

function userRepository(conn: PgConnection): UserRepository {
  return {
    async insert(user) {
      await guarded(
        () =>
          conn.run('INSERT INTO users (id, org_id, name, email, created_at, updated_at) VALUES (@id, @org_id, @name, @email, @created_at, @updated_at)', {
            ...userParams(user),
          }),
        (constraint) => (constraint === 'users_email_uq' ? emailTaken() : undefined),
      );
    },
    async get(orgId, id) {
      const row = await conn.one<UserRow>('SELECT * FROM users WHERE id = @id AND org_id = @org_id', { id, org_id: orgId });
      return row ? userFromRow(row) : null;
    },
    async list(orgId) {
      return (await conn.all<UserRow>('SELECT * FROM users WHERE org_id = @org_id ORDER BY created_at DESC, id DESC', { org_id: orgId })).map(userFromRow);
    },
  };
}

function apiKeyRepository(conn: PgConnection): ApiKeyRepository {
  return {
    async insert(key) {
      await conn.run(
        `INSERT INTO api_keys (id, org_id, user_id, name, scopes, token_hash, last_used_at, expires_at, revoked_at, created_at)
         VALUES (@id, @org_id, @user_id, @name, @scopes, @token_hash, @last_used_at, @expires_at, @revoked_at, @created_at)`,
        { ...apiKeyParams(key) },
      );
    },
    async get(id) {
      const row = await conn.one<ApiKeyRow>('SELECT * FROM api_keys WHERE id = @id', { id });
      return row ? apiKeyFromRow(row) : null;
    },
    async findByHash(tokenHash) {
      const row = await conn.one<ApiKeyRow>('SELECT * FROM api_keys WHERE token_hash = @token_hash', { token_hash: tokenHash });
      return row ? apiKeyFromRow(row) : null;
    },
    async list(orgId) {
      return (await conn.all<ApiKeyRow>('SELECT * FROM api_keys WHERE org_id = @org_id ORDER BY created_at DESC NULLS LAST, id DESC NULLS LAST', { org_id: orgId })).map(
        apiKeyFromRow,
      );
    },
    async touch(id, at) {
      await conn.run('UPDATE api_keys SET last_used_at = @at WHERE id = @id AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < @at)', {
        id,
        at,
      });
    },
    async revoke(id, at) {
      return ((await conn.run('UPDATE api_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL', { id, at })).rowCount ?? 0) === 1;
    },
  };
}

function phoneVisible(v: Visibility) {
  const where = ['org_id = @org_id', 'deleted_at IS NULL'];
  if (v.ownerUserId !== undefined) where.push('user_id = @owner_user_id');
  return { where, params: { org_id: v.orgId, owner_user_id: v.ownerUserId } as Record<string, unknown> };
}

function phoneNumberRepository(conn: PgConnection, cipher: SecretCipher): PhoneNumberRepository {
  const toMeta = (constraint: string) => (constraint === 'phone_numbers_meta_live_uq' ? phoneNumberExists() : undefined);
  return {
    async insert(phone) {
      const params = phoneNumberParams(phone, phone.accessToken === undefined ? null : cipher.seal(phone.accessToken));
      await guarded(
        () =>
          conn.run(
            `INSERT INTO phone_numbers (id, org_id, user_id, platform, meta_phone_number_id, display_name, waba_id,
               access_token, created_at, updated_at, deleted_at)
             VALUES (@id, @org_id, @user_id, @platform, @meta_phone_number_id, @display_name, @waba_id,
               @access_token, @created_at, @updated_at, @deleted_at)`,
            { ...params },
          ),
        toMeta,
      );
    },
    async update(phone) {
      const params = phoneNumberParams(phone, phone.accessToken === undefined ? null : cipher.seal(phone.accessToken));
      await guarded(
        () =>
          conn.run(
            `UPDATE phone_numbers SET org_id = @org_id, user_id = @user_id, platform = @platform,
               meta_phone_number_id = @meta_phone_number_id, display_name = @display_name, waba_id = @waba_id,
               access_token = coalesce(@access_token::text, access_token),
               created_at = @created_at, updated_at = @updated_at, deleted_at = @deleted_at
             WHERE id = @id`,
            { ...params },
          ),
        toMeta,
      );
    },
    async get(v, id) {
      const sql =
        v.ownerUserId === undefined
          ? `SELECT ${PHONE_NUMBER_COLUMNS} FROM phone_numbers WHERE id = @id AND org_id = @org_id AND deleted_at IS NULL`
          : `SELECT ${PHONE_NUMBER_COLUMNS} FROM phone_numbers WHERE id = @id AND org_id = @org_id AND user_id = @owner_user_id AND deleted_at IS NULL`;
      const row = await conn.one<PhoneNumberRow>(sql, { id, org_id: v.orgId, owner_user_id: v.ownerUserId });
      return row ? phoneNumberFromRow(row) : null;
    },
    async findByMeta(platform, metaPhoneNumberId) {
      const row = await conn.one<PhoneNumberRow>(
        `SELECT ${PHONE_NUMBER_COLUMNS} FROM phone_numbers WHERE platform = @platform AND meta_phone_number_id = @meta AND deleted_at IS NULL`,
        { platform, meta: metaPhoneNumberId },
      );
      return row ? phoneNumberFromRow(row) : null;
    },
    async byId(id) {
      const row = await conn.one<PhoneNumberRow>(`SELECT ${PHONE_NUMBER_COLUMNS} FROM phone_numbers WHERE id = @id AND deleted_at IS NULL`, { id });
      return row ? phoneNumberFromRow(row) : null;
    },
    async accessToken(id) {
      const row = await conn.one<{ access_token: string | null }>('SELECT access_token FROM phone_numbers WHERE id = @id AND deleted_at IS NULL', { id });
      return row?.access_token ? cipher.open(row.access_token) : null;
    },
    async list(v, filter, page) {
      const { where, params } = phoneVisible(v);
      if (filter.platform !== undefined) {
        where.push('platform = @platform');
        params.platform = filter.platform;
      }
      return listPage(
        conn,
        {
          columns: PHONE_NUMBER_COLUMNS,
          from: 'phone_numbers',
          where,
          params,
          at: 'created_at',
          id: 'id',
          direction: 'DESC',
          map: phoneNumberFromRow,
          keyOf: (p) => ({ at: p.createdAt, id: p.id }),
        },
        page,
      );
    },
  };
}

function agentVisible(v: Visibility) {
  const where = ['a.org_id = @org_id', 'a.deleted_at IS NULL'];
  if (v.ownerUserId !== undefined) {
    where.push('EXISTS (SELECT 1 FROM phone_numbers p WHERE p.id = a.phone_number_id AND p.org_id = @org_id AND p.user_id = @owner_user_id)');
  }
  return { where, params: { org_id: v.orgId, owner_user_id: v.ownerUserId } as Record<string, unknown> };
}

/** The summary columns in PostgreSQL's words: jsonb_array_length for the counts. */
const PG_AGENT_SUMMARY_COLUMNS = AGENT_SUMMARY_COLUMNS.replaceAll('json_array_length(', 'jsonb_array_length(');

function agentRepository(conn: PgConnection): AgentRepository {
  const translate = (agent: Agent) => (constraint: string) => {
    switch (constraint) {
      case 'agents_pkey':
        return agentIdTaken(agent.id);
      case 'agents_active_phone_uq':
        return phoneNumberInUse(agent.phoneNumberId);
      case 'agents_org_handle_live_uq':
        return agentHandleTaken(agent.handle);
      default:
        return undefined;
    }
  };
  return {
    async insert(agent) {
      await guarded(
        () =>
          conn.run(
            `INSERT INTO agents (id, org_id, user_id, handle, name, description, instructions, instructions_html, prompt_id,
               phone_number_id, model, color, avatar, include_system_prompt, tools, connectors, sub_agents, data_sources,
               is_active, deactivated_reason, deactivated_at, created_at, updated_at, deleted_at)
             VALUES (@id, @org_id, @user_id, @handle, @name, @description, @instructions, @instructions_html, @prompt_id,
               @phone_number_id, @model, @color, @avatar, @include_system_prompt, @tools, @connectors, @sub_agents, @data_sources,
               @is_active, @deactivated_reason, @deactivated_at, @created_at, @updated_at, @deleted_at)`,
            { ...agentParams(agent) },
          ),
        translate(agent),
      );
    },
    async update(agent) {
      await guarded(
        () =>
          conn.run(
            `UPDATE agents SET org_id = @org_id, user_id = @user_id, handle = @handle, name = @name,
               description = @description, instructions = @instructions, instructions_html = @instructions_html,
               prompt_id = @prompt_id, phone_number_id = @phone_number_id, model = @model, color = @color, avatar = @avatar,
               include_system_prompt = @include_system_prompt, tools = @tools, connectors = @connectors,
               sub_agents = @sub_agents, data_sources = @data_sources, is_active = @is_active,
               deactivated_reason = @deactivated_reason, deactivated_at = @deactivated_at,
               created_at = @created_at, updated_at = @updated_at, deleted_at = @deleted_at
             WHERE id = @id`,
            { ...agentParams(agent) },
          ),
        translate(agent),
      );
    },
    async get(v, id) {
      const { where, params } = agentVisible(v);
      const row = await conn.one<AgentRow>(`SELECT a.* FROM agents a WHERE a.id = @id AND ${where.join(' AND ')}`, { ...params, id });
      return row ? agentFromRow(row) : null;
    },
    async idExists(id) {
      return (await conn.one('SELECT 1 FROM agents WHERE id = @id', { id })) !== undefined;
    },
    async list(v, filter, page) {
      const { where, params } = agentVisible(v);
      if (filter.phoneNumberId !== undefined) {
        where.push('a.phone_number_id = @phone_number_id');
        params.phone_number_id = filter.phoneNumberId;
      }
      return listPage(
        conn,
        {
          columns: PG_AGENT_SUMMARY_COLUMNS,
          from: 'agents a',
          where,
          params,
          at: 'a.created_at',
          id: 'a.id',
          direction: 'DESC',
          map: (row: AgentSummaryRaw) => agentSummaryFromRaw(row),
          arrays: true,
          keyOf: (a) => ({ at: a.createdAt, id: a.id }),
        },
        page,
      );
    },
    async activeOnPhoneNumber(phoneNumberId) {
      const row = await conn.one<AgentRow>('SELECT * FROM agents WHERE phone_number_id = @id AND deleted_at IS NULL AND is_active', { id: phoneNumberId });
      return row ? agentFromRow(row) : null;
    },
    async countLive(orgId) {
      return (await conn.one<{ n: number }>('SELECT count(*) AS n FROM agents WHERE org_id = @org_id AND deleted_at IS NULL', { org_id: orgId }))?.n ?? 0;
    },
    async handlesWithPrefix(orgId, prefix) {
      // The index's expression (./schema.ts): ASCII case folding and a plain prefix test, so neither
      // the database's collation nor its contractions (Czech 'ch' sorts after 'h') change the answer.
      const rows = await conn.all<{ handle: string }>(
        `SELECT lower(handle COLLATE "C") AS handle FROM agents
         WHERE org_id = @org_id AND deleted_at IS NULL AND starts_with(lower(handle COLLATE "C"), @low)`,
        { org_id: orgId, low: prefix.toLowerCase() },
      );
      return rows.map((r) => r.handle);
    },
    async liveIds(orgId, ids) {
      if (ids.length === 0) return [];
      const rows = await conn.all<{ id: string }>('SELECT id FROM agents WHERE org_id = @org_id AND deleted_at IS NULL AND id = ANY(@ids::text[])', {
        org_id: orgId,
        ids: [...ids],
      });
      const live = new Set(rows.map((r) => r.id));
      return ids.filter((id) => live.has(id));
    },
    async subAgentGraph(orgId) {
      const rows = await conn.all<{ id: string; sub_agents: string }>('SELECT id, sub_agents FROM agents WHERE org_id = @org_id AND deleted_at IS NULL', {
        org_id: orgId,
      });
      return new Map(rows.map((r) => [r.id, JSON.parse(r.sub_agents) as string[]]));
    },
  };
}

function conversationVisible(v: Visibility) {
  const where = ['c.org_id = @org_id'];
  if (v.ownerUserId !== undefined) {
    where.push('EXISTS (SELECT 1 FROM phone_numbers p WHERE p.id = c.phone_number_id AND p.org_id = @org_id AND p.user_id = @owner_user_id)');
  }
  return { where, params: { org_id: v.orgId, owner_user_id: v.ownerUserId } as Record<string, unknown> };
}

const C_COLUMNS = CONVERSATION_COLUMNS.split(', ')
  .map((column) => `c.${column}`)
  .join(', ');

function conversationRepository(conn: PgConnection): ConversationRepository {
  return {
    async insert(conversation) {
      await guarded(
        () =>
          conn.run(
            `INSERT INTO conversations (id, org_id, phone_number_id, agent_id, customer_id, status, archived_at, archive_reason,
               message_count, last_message_at, created_at, updated_at)
             VALUES (@id, @org_id, @phone_number_id, @agent_id, @customer_id, @status, @archived_at, @archive_reason,
               @message_count, @last_message_at, @created_at, @updated_at)`,
            { ...conversationParams(conversation) },
          ),
        (constraint) =>
          constraint === 'conversations_active_customer_uq' ? new Error('An active conversation already exists for this customer on this number') : undefined,
      );
    },
    async recordMessage(conversationId, at) {
      const row = await conn.one<{ message_count: number }>(
        'UPDATE conversations SET message_count = message_count + 1, last_message_at = @at, updated_at = @at WHERE id = @id RETURNING message_count',
        { id: conversationId, at },
      );
      if (row === undefined) throw new Error(`conversation ${conversationId} does not exist`);
      return row.message_count;
    },
    async get(v, id) {
      const { where, params } = conversationVisible(v);
      const row = await conn.one<ConversationRow>(`SELECT ${C_COLUMNS} FROM conversations c WHERE c.id = @id AND ${where.join(' AND ')}`, { ...params, id });
      return row ? conversationFromRow(row) : null;
    },
    async findActive(phoneNumberId, customerId) {
      const row = await conn.one<ConversationRow>(
        `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE phone_number_id = @phone AND customer_id = @customer AND status = 'active'`,
        { phone: phoneNumberId, customer: customerId },
      );
      return row ? conversationFromRow(row) : null;
    },
    async list(v, filter, page) {
      const { where, params } = conversationVisible(v);
      if (filter.agentId !== undefined) {
        where.push('c.agent_id = @agent_id');
        params.agent_id = filter.agentId;
      }
      if (filter.phoneNumberId !== undefined) {
        where.push('c.phone_number_id = @phone_number_id');
        params.phone_number_id = filter.phoneNumberId;
      }
      if (filter.status !== undefined) {
        where.push('c.status = @status');
        params.status = filter.status;
      }
      return listPage(
        conn,
        {
          columns: C_COLUMNS,
          from: 'conversations c',
          where,
          params,
          at: 'c.activity_at',
          id: 'c.id',
          direction: 'DESC',
          map: conversationFromRow,
          keyOf: (c) => ({ at: c.lastMessageAt ?? c.createdAt, id: c.id }),
        },
        page,
      );
    },
    async archiveOthers(phoneNumberId, keepAgentId, at, reason) {
      const rows = await conn.all<{ agent_id: string | null }>(
        `UPDATE conversations SET status = 'archived', archived_at = @at, archive_reason = @reason, updated_at = @at
         WHERE phone_number_id = @phone_number_id AND status = 'active' AND (agent_id IS NULL OR agent_id <> @keep_agent_id)
         RETURNING agent_id`,
        { at, reason, phone_number_id: phoneNumberId, keep_agent_id: keepAgentId },
      );
      const counts = new Map<string | null, number>();
      for (const { agent_id } of rows) counts.set(agent_id, (counts.get(agent_id) ?? 0) + 1);
      return [...counts].map(([agentId, count]): ArchivedGroup => ({ agentId, count })).sort(byAgent);
    },
  };
}

function messageRepository(conn: PgConnection): MessageRepository {
  return {
    ...messageStatusMethods(pgStatements(conn)),
    async insert(message) {
      const result = await conn.run(
        `INSERT INTO messages (id, conversation_id, phone_number_id, seq, role, text, type, platform_message_id, status, failure_reason, created_at)
         VALUES (@id, @conversation_id, @phone_number_id, @seq, @role, @text, @type, @platform_message_id, @status, @failure_reason, @created_at)
         ON CONFLICT (phone_number_id, platform_message_id) DO NOTHING`,
        { ...messageParams(message) },
      );
      return result.rowCount === 1;
    },
    async seen(phoneNumberId, platformMessageId) {
      return (await conn.one('SELECT 1 FROM messages WHERE phone_number_id = @phone AND platform_message_id = @pmid', { phone: phoneNumberId, pmid: platformMessageId })) !== undefined;
    },
    async list(conversationId, page) {
      return listPage(
        conn,
        {
          columns: '*',
          from: 'messages',
          where: ['conversation_id = @conversation_id'],
          params: { conversation_id: conversationId },
          at: 'seq',
          id: 'id',
          direction: 'ASC',
          map: (row: MessageRow) => messageFromRow(row),
          keyOf: (m) => ({ at: m.seq, id: m.id }),
        },
        page,
      );
    },
  };
}

function archivalRepository(conn: PgConnection): ArchivalRepository {
  return {
    async insert(record) {
      await conn.run(
        `INSERT INTO archival_records (id, org_id, phone_number_id, previous_agent_id, new_agent_id, conversations_archived, created_at)
         VALUES (@id, @org_id, @phone_number_id, @previous_agent_id, @new_agent_id, @conversations_archived, @created_at)`,
        { ...archivalParams(record) },
      );
    },
    async listByPhoneNumber(phoneNumberId) {
      return (await conn.all<ArchivalRow>('SELECT * FROM archival_records WHERE phone_number_id = @id ORDER BY created_at, id', { id: phoneNumberId })).map(
        archivalFromRow,
      );
    },
  };
}

function idempotencyRepository(conn: PgConnection): IdempotencyRepository {
  return {
    async claim(record, staleBefore): Promise<ClaimResult> {
      const result = await conn.run(
        `INSERT INTO idempotency_records AS r (key_id, idempotency_key, fingerprint, status, body, locked_at, created_at, expires_at)
         VALUES (@key_id, @idempotency_key, @fingerprint, @status, @body, @locked_at, @created_at, @expires_at)
         ON CONFLICT (key_id, idempotency_key) DO UPDATE SET
           fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body,
           locked_at = excluded.locked_at, created_at = excluded.created_at, expires_at = excluded.expires_at
         WHERE r.expires_at <= excluded.created_at OR (r.status IS NULL AND r.locked_at < @stale_before)`,
        { ...idempotencyParams(record), stale_before: staleBefore },
      );
      if (result.rowCount === 1) return { outcome: 'claimed', fence: record.lockedAt };
      const row = await conn.one<IdempotencyRow>('SELECT * FROM idempotency_records WHERE key_id = @key_id AND idempotency_key = @key', {
        key_id: record.keyId,
        key: record.idempotencyKey,
      });
      if (row === undefined) return { outcome: 'in_flight' };
      if (row.fingerprint !== record.fingerprint) return { outcome: 'mismatch' };
      if (row.status !== null) return { outcome: 'replay', record: idempotencyFromRow(row) };
      return { outcome: 'in_flight' };
    },
    async complete(keyId, idempotencyKey, fence, status, body) {
      const result = await conn.run(
        `UPDATE idempotency_records SET status = @status, body = @body
         WHERE key_id = @key_id AND idempotency_key = @key AND locked_at = @fence AND status IS NULL`,
        { status, body, key_id: keyId, key: idempotencyKey, fence },
      );
      return result.rowCount === 1;
    },
    async release(keyId, idempotencyKey, fence) {
      await conn.run('DELETE FROM idempotency_records WHERE key_id = @key_id AND idempotency_key = @key AND locked_at = @fence AND status IS NULL', {
        key_id: keyId,
        key: idempotencyKey,
        fence,
      });
    },
    async purgeExpired(at) {
      return (await conn.run('DELETE FROM idempotency_records WHERE expires_at <= @at', { at })).rowCount ?? 0;
    },
  };
}
