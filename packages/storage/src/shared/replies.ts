import type { Message, MessageRepository, ReplyJobRepository } from '@gateway/core';
import { MESSAGE_SQL, messageFromRow, REPLY_JOB_SQL, replyJobFromRow, type MessageRow, type ReplyJobRow } from '../sqlite/rows';

/**
 * The reply runtime's statements, written once for both drivers: the queue (`reply_jobs`) and the
 * message-status part of the message repository. Each driver supplies three calls over its
 * connection and says which SQL words differ (LEAST/GREATEST, the skip list, SKIP LOCKED).
 */
export interface Statements {
  dialect: 'sqlite' | 'postgres';
  all<T>(sql: string, params: Record<string, unknown>): Promise<T[]>;
  one<T>(sql: string, params: Record<string, unknown>): Promise<T | undefined>;
  /** Rows changed. */
  run(sql: string, params: Record<string, unknown>): Promise<number>;
}

function words(dialect: Statements['dialect'], sql: string): string {
  return dialect === 'postgres'
    ? sql.replaceAll('min_of(', 'LEAST(').replaceAll('max_of(', 'GREATEST(').replace('org_id IN skip_list', 'org_id = ANY(@skip::text[])')
    : sql.replaceAll('min_of(', 'min(').replaceAll('max_of(', 'max(').replace('org_id IN skip_list', 'org_id IN (SELECT value FROM json_each(@skip))');
}

export function replyJobRepository(db: Statements): ReplyJobRepository {
  const sql = Object.fromEntries(Object.entries(REPLY_JOB_SQL).map(([name, text]) => [name, words(db.dialect, text)])) as Record<
    keyof typeof REPLY_JOB_SQL,
    string
  >;
  // Jobs another transaction is claiming are passed over, never waited for (PostgreSQL); SQLite's one writer claims alone.
  const claimable = db.dialect === 'postgres' ? `${sql.claimable} FOR UPDATE SKIP LOCKED` : sql.claimable;
  const claim = sql.claim.replace('(claimable)', `(${claimable})`);
  const fenced = async (text: string, conversationId: string, epoch: number, extra: Record<string, unknown> = {}) =>
    (await db.one<{ epoch: number }>(text, { conversation_id: conversationId, epoch, ...extra })) !== undefined;

  return {
    async enqueue({ conversationId, orgId, phoneNumberId, seq, at, debounceMs, maxWaitMs }) {
      const deadline = at + maxWaitMs;
      await db.run(sql.enqueue, {
        conversation_id: conversationId,
        org_id: orgId,
        phone_number_id: phoneNumberId,
        seq,
        at,
        debounced: Math.min(at + debounceMs, deadline),
        deadline,
      });
    },
    async claim(at, leaseUntil, limit, skipOrgIds) {
      const skip = db.dialect === 'postgres' ? [...skipOrgIds] : JSON.stringify(skipOrgIds);
      const rows = await db.all<ReplyJobRow>(claim, { at, lease_until: leaseUntil, limit, skip });
      return rows.map(replyJobFromRow).sort((a, b) => a.dueAt - b.dueAt || (a.conversationId < b.conversationId ? -1 : 1));
    },
    async get(conversationId) {
      const row = await db.one<ReplyJobRow>(sql.get, { conversation_id: conversationId });
      return row ? replyJobFromRow(row) : null;
    },
    async held(conversationId, epoch) {
      const row = await db.one<ReplyJobRow>(sql.held, { conversation_id: conversationId, epoch });
      return row ? replyJobFromRow(row) : null;
    },
    renew: (conversationId, epoch, leaseUntil) => fenced(sql.renew, conversationId, epoch, { lease_until: leaseUntil }),
    markAnswered: (conversationId, epoch, at) => fenced(sql.markAnswered, conversationId, epoch, { at }),
    async finish(conversationId, epoch, at) {
      if (await fenced(sql.finishDone, conversationId, epoch)) return 'done';
      return (await fenced(sql.finishAgain, conversationId, epoch, { at })) ? 'again' : 'lost';
    },
    drop: (conversationId, epoch) => fenced(sql.drop, conversationId, epoch),
    release: (conversationId, epoch, at) => fenced(sql.release, conversationId, epoch, { at }),
    async depth(at) {
      const row = await db.one<{ due: number | null; waiting: number | null; held: number | null }>(sql.depth, { at });
      return { due: Number(row?.due ?? 0), waiting: Number(row?.waiting ?? 0), held: Number(row?.held ?? 0) };
    },
  };
}

/** The message repository's reply-runtime half: reads for the turn, and the status compare-and-set. */
export function messageStatusMethods(db: Statements): Pick<MessageRepository, 'get' | 'latest' | 'pending' | 'findByPlatformId' | 'setStatus'> {
  const many = async (text: string, params: Record<string, unknown>): Promise<Message[]> => (await db.all<MessageRow>(text, params)).map(messageFromRow);
  return {
    async get(id) {
      const row = await db.one<MessageRow>(MESSAGE_SQL.get, { id });
      return row ? messageFromRow(row) : null;
    },
    latest: (conversationId, limit) => many(MESSAGE_SQL.latest, { conversation_id: conversationId, limit }),
    pending: (conversationId) => many(MESSAGE_SQL.pending, { conversation_id: conversationId }),
    async findByPlatformId(phoneNumberId, platformMessageId) {
      const row = await db.one<MessageRow>(MESSAGE_SQL.byPlatformId, { phone_number_id: phoneNumberId, platform_message_id: platformMessageId });
      return row ? messageFromRow(row) : null;
    },
    async setStatus(id, from, to) {
      // A Meta id another message of the number already holds is refused here rather than by the
      // unique index, whose violation would abort a PostgreSQL transaction.
      const changed = await db.run(
        `UPDATE messages SET status = @to_status, failure_reason = @to_reason, platform_message_id = coalesce(platform_message_id, CAST(@pmid AS TEXT))
         WHERE id = @id AND status = @from_status AND failure_reason IS NOT DISTINCT FROM @from_reason
           AND (CAST(@pmid AS TEXT) IS NULL OR platform_message_id IS NOT NULL OR NOT EXISTS (
             SELECT 1 FROM messages other WHERE other.phone_number_id = messages.phone_number_id AND other.platform_message_id = CAST(@pmid AS TEXT)))`,
        {
          id,
          from_status: from.status,
          from_reason: from.failureReason,
          to_status: to.status,
          to_reason: to.failureReason,
          pmid: to.platformMessageId ?? null,
        },
      );
      return changed === 1;
    },
  };
}
