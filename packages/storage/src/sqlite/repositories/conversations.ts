import type { ArchivalRepository, ArchivedGroup, ConversationRepository, MessageRepository, Visibility } from '@gateway/core';
import type { Connection } from '../connection';
import { guarded } from '../constraints';
import { messageStatusMethods } from '../../shared/replies';
import { listPage } from '../paging';
import { sqliteStatements } from './statements';
import {
  archivalFromRow,
  archivalParams,
  CONVERSATION_COLUMNS,
  conversationFromRow,
  conversationParams,
  messageFromRow,
  messageParams,
  type ArchivalRow,
  type ConversationRow,
} from '../rows';

/** Archival groups in a stable order: no agent first, then by agent id. */
export const byAgent = (a: ArchivedGroup, b: ArchivedGroup): number =>
  a.agentId === b.agentId ? 0 : a.agentId === null ? -1 : b.agentId === null ? 1 : a.agentId < b.agentId ? -1 : 1;

const activeConversationTaken = () => new Error('An active conversation already exists for this customer on this number');

/** The caller's conversations: its org's, and with `ownerUserId` only those on that user's numbers. */
function visible(v: Visibility): { where: string[]; params: Record<string, unknown> } {
  const where = ['c.org_id = @org_id'];
  if (v.ownerUserId !== undefined) {
    where.push('EXISTS (SELECT 1 FROM phone_numbers p WHERE p.id = c.phone_number_id AND p.org_id = @org_id AND p.user_id = @owner_user_id)');
  }
  return { where, params: { org_id: v.orgId, owner_user_id: v.ownerUserId } };
}

const COLUMNS = CONVERSATION_COLUMNS.split(', ')
  .map((column) => `c.${column}`)
  .join(', ');

export function conversationRepository(conn: Connection): ConversationRepository {
  return {
    async insert(conversation) {
      guarded(
        () =>
          conn
            .stmt(
              `INSERT INTO conversations (id, org_id, phone_number_id, agent_id, customer_id, status, archived_at, archive_reason,
                 message_count, last_message_at, created_at, updated_at)
               VALUES (@id, @org_id, @phone_number_id, @agent_id, @customer_id, @status, @archived_at, @archive_reason,
                 @message_count, @last_message_at, @created_at, @updated_at)`,
            )
            .run(conversationParams(conversation)),
        (target) => (target === 'conversations.phone_number_id, conversations.customer_id' ? activeConversationTaken() : undefined),
      );
    },
    async recordMessage(conversationId, at) {
      const row = conn
        .stmt(
          `UPDATE conversations SET message_count = message_count + 1, last_message_at = @at, updated_at = @at
           WHERE id = @id RETURNING message_count`,
        )
        .get({ id: conversationId, at }) as { message_count: number } | undefined;
      if (row === undefined) throw new Error(`conversation ${conversationId} does not exist`);
      return row.message_count;
    },
    async get(v, id) {
      const { where, params } = visible(v);
      const row = conn.stmt(`SELECT ${COLUMNS} FROM conversations c WHERE c.id = @id AND ${where.join(' AND ')}`).get({ ...params, id }) as
        | ConversationRow
        | undefined;
      return row ? conversationFromRow(row) : null;
    },
    async findActive(phoneNumberId, customerId) {
      const row = conn
        .stmt(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE phone_number_id = ? AND customer_id = ? AND status = 'active'`)
        .get(phoneNumberId, customerId) as ConversationRow | undefined;
      return row ? conversationFromRow(row) : null;
    },
    async list(v, filter, page) {
      const { where, params } = visible(v);
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
          columns: COLUMNS,
          from: 'conversations c',
          where,
          params,
          // activity_at is the generated column coalesce(last_message_at, created_at).
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
      const rows = conn
        .stmt(
          `UPDATE conversations SET status = 'archived', archived_at = @at, archive_reason = @reason, updated_at = @at
           WHERE phone_number_id = @phone_number_id AND status = 'active' AND (agent_id IS NULL OR agent_id <> @keep_agent_id)
           RETURNING agent_id`,
        )
        .all({ at, reason, phone_number_id: phoneNumberId, keep_agent_id: keepAgentId }) as { agent_id: string | null }[];
      const counts = new Map<string | null, number>();
      for (const { agent_id } of rows) counts.set(agent_id, (counts.get(agent_id) ?? 0) + 1);
      return [...counts].map(([agentId, count]): ArchivedGroup => ({ agentId, count })).sort(byAgent);
    },
  };
}

export function messageRepository(conn: Connection): MessageRepository {
  return {
    ...messageStatusMethods(sqliteStatements(conn)),
    async insert(message) {
      const { changes } = conn
        .stmt(
          `INSERT INTO messages (id, conversation_id, phone_number_id, seq, role, text, type, platform_message_id, status, failure_reason, created_at)
           VALUES (@id, @conversation_id, @phone_number_id, @seq, @role, @text, @type, @platform_message_id, @status, @failure_reason, @created_at)
           ON CONFLICT (phone_number_id, platform_message_id) DO NOTHING`,
        )
        .run(messageParams(message));
      return changes === 1;
    },
    async seen(phoneNumberId, platformMessageId) {
      return (
        conn.stmt('SELECT 1 FROM messages WHERE phone_number_id = ? AND platform_message_id = ?').get(phoneNumberId, platformMessageId) !==
        undefined
      );
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
          map: messageFromRow,
          keyOf: (m) => ({ at: m.seq, id: m.id }),
        },
        page,
      );
    },
  };
}

export function archivalRepository(conn: Connection): ArchivalRepository {
  return {
    async insert(record) {
      conn
        .stmt(
          `INSERT INTO archival_records (id, org_id, phone_number_id, previous_agent_id, new_agent_id, conversations_archived, created_at)
           VALUES (@id, @org_id, @phone_number_id, @previous_agent_id, @new_agent_id, @conversations_archived, @created_at)`,
        )
        .run(archivalParams(record));
    },
    async listByPhoneNumber(phoneNumberId) {
      const rows = conn
        .stmt('SELECT * FROM archival_records WHERE phone_number_id = ? ORDER BY created_at, id')
        .all(phoneNumberId) as ArchivalRow[];
      return rows.map(archivalFromRow);
    },
  };
}
