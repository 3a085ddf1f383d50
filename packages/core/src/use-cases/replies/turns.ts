import type { Agent, Conversation, Message, PhoneNumber, ReplyJob } from '../../model';
import type { ReplyFinish, Repositories, UnitOfWork } from '../../ports';
import { REPLY_FAILURE, insideServiceWindow, whyNotAnswering, type NotAnswering } from '../../rules/replies';
import type { CoreDeps } from '../context';

/**
 * The reply turn (§8), as the worker drives it: claim → begin → (model) → store → for each part:
 * prepare → (send) → record → finish. Each step is one transaction fenced by the claim's epoch, so
 * a worker whose lease was taken over writes nothing; the model and Meta are called between steps,
 * never inside one. The agent's right to answer (R1–R3, R5) is checked again at every step.
 */

export type Lost = { kind: 'lost' };
export type Dropped = { kind: 'dropped'; reason: NotAnswering };

export type TurnStart =
  | Lost
  | Dropped
  /** A reply left `pending` by a crashed worker was settled as `interrupted`, and nothing else waits. */
  | { kind: 'settled'; interrupted: number }
  | {
      kind: 'answer';
      job: ReplyJob;
      conversation: Conversation;
      agent: Agent;
      phone: PhoneNumber;
      /** The conversation's latest messages, oldest first (failed replies included: the caller leaves blank ones out). */
      history: Message[];
      /** The customer's latest message: its Meta id is marked read. */
      lastCustomerMessage: Message | null;
      /** WhatsApp only, for marking the customer's message read at once; null on Instagram. */
      readReceiptToken: string | null;
      interrupted: number;
    };

export type SendPermit =
  | Lost
  | { kind: 'skipped'; reason: string }
  | { kind: 'send'; message: Message; phone: PhoneNumber; customerId: string; accessToken: string };

export type SendOutcome = { kind: 'sent'; platformMessageId: string } | { kind: 'failed'; reason: string } | { kind: 'interrupted' };

async function answering(repos: Repositories, job: ReplyJob): Promise<{ conversation: Conversation | null; agent: Agent | null; why: NotAnswering | null }> {
  const conversation = await repos.conversations.get({ orgId: job.orgId }, job.conversationId);
  const agent = conversation ? await repos.agents.activeOnPhoneNumber(conversation.phoneNumberId) : null;
  return { conversation, agent, why: whyNotAnswering(conversation, agent) };
}

export function claimReplyTurns(deps: CoreDeps) {
  return ({ uow, leaseMs, limit, skipOrgIds = [] }: { uow: UnitOfWork; leaseMs: number; limit: number; skipOrgIds?: readonly string[] }) => {
    const now = deps.clock.now();
    return uow.write((repos) => repos.replyJobs.claim(now, now + leaseMs, limit, skipOrgIds));
  };
}

export function renewReplyLease(deps: CoreDeps) {
  return ({ uow, conversationId, epoch, leaseMs }: { uow: UnitOfWork; conversationId: string; epoch: number; leaseMs: number }) =>
    uow.write((repos) => repos.replyJobs.renew(conversationId, epoch, deps.clock.now() + leaseMs));
}

/**
 * Starts a claimed turn: settles replies a crashed worker left `pending` (their send may or may not
 * have reached Meta, so they are never sent again: `failed`/`interrupted`, which a status callback
 * can still correct), then reads the agent's configuration for this turn and the history.
 */
export function beginReplyTurn(deps: CoreDeps) {
  return ({ uow, conversationId, epoch, historyLimit }: { uow: UnitOfWork; conversationId: string; epoch: number; historyLimit: number }) =>
    uow.write(async (repos): Promise<TurnStart> => {
      const job = await repos.replyJobs.held(conversationId, epoch);
      if (!job) return { kind: 'lost' };
      await repos.locks.phoneNumber(job.phoneNumberId);
      let interrupted = 0;
      for (const reply of await repos.messages.pending(conversationId)) {
        const moved = await repos.messages.setStatus(
          reply.id,
          { status: 'pending', failureReason: null },
          { status: 'failed', failureReason: REPLY_FAILURE.interrupted },
        );
        if (moved) interrupted++;
      }
      if (job.answeredSeq >= job.claimedSeq) {
        await repos.replyJobs.finish(conversationId, epoch, deps.clock.now());
        return { kind: 'settled', interrupted };
      }
      const { conversation, agent, why } = await answering(repos, job);
      const phone = await repos.phoneNumbers.byId(job.phoneNumberId);
      const reason: NotAnswering | null = why ?? (phone === null ? 'number_deleted' : null);
      if (reason !== null || !conversation || !agent || !phone) {
        await repos.replyJobs.drop(conversationId, epoch);
        return { kind: 'dropped', reason: reason ?? 'conversation_archived' };
      }
      const history = await repos.messages.latest(conversationId, historyLimit);
      const lastCustomerMessage = [...history].reverse().find((m) => m.role === 'user') ?? null;
      const readReceiptToken = phone.platform === 'whatsapp' && lastCustomerMessage?.platformMessageId ? await repos.phoneNumbers.accessToken(phone.id) : null;
      return { kind: 'answer', job, conversation, agent, phone, history, lastCustomerMessage, readReceiptToken, interrupted };
    });
}

/**
 * Stores the model's reply, one `pending` message per part, before anything is sent: a restart
 * never asks the model twice for one turn. A failure (`parts` empty and `failureReason` given) is
 * stored as one `failed` reply with empty text. Either answers the turn's messages.
 */
export function storeReply(deps: CoreDeps) {
  return ({ uow, conversationId, epoch, parts, failureReason = null }: { uow: UnitOfWork; conversationId: string; epoch: number; parts: readonly string[]; failureReason?: string | null }) =>
    uow.write(async (repos): Promise<Lost | Dropped | { kind: 'stored'; messages: Message[] }> => {
      const job = await repos.replyJobs.held(conversationId, epoch);
      if (!job) return { kind: 'lost' };
      await repos.locks.phoneNumber(job.phoneNumberId);
      const { why } = await answering(repos, job);
      if (why !== null) {
        await repos.replyJobs.drop(conversationId, epoch);
        return { kind: 'dropped', reason: why };
      }
      const texts = failureReason !== null || parts.length === 0 ? [''] : parts;
      const messages: Message[] = [];
      for (const text of texts) {
        const now = deps.clock.now();
        const seq = await repos.conversations.recordMessage(conversationId, now);
        const message: Message = {
          id: deps.ids.next('msg'),
          conversationId,
          phoneNumberId: job.phoneNumberId,
          seq,
          role: 'assistant',
          text,
          type: 'text',
          platformMessageId: null,
          status: failureReason !== null || parts.length === 0 ? 'failed' : 'pending',
          failureReason: failureReason !== null || parts.length === 0 ? (failureReason ?? 'empty_reply') : null,
          createdAt: now,
        };
        await repos.messages.insert(message);
        messages.push(message);
      }
      await repos.replyJobs.markAnswered(conversationId, epoch, deps.clock.now());
      return { kind: 'stored', messages };
    });
}

/**
 * Right before one part goes out: the agent must still answer the conversation (R1–R3) and the
 * customer's last message must be less than 24 hours old. Otherwise the part (still `pending`)
 * fails here with `agent_unavailable` or `outside_window`, and is not sent. The access token is
 * decrypted only for a send that goes ahead.
 */
export function prepareSend(deps: CoreDeps) {
  return ({ uow, conversationId, epoch, messageId }: { uow: UnitOfWork; conversationId: string; epoch: number; messageId: string }) =>
    uow.write(async (repos): Promise<SendPermit> => {
      const job = await repos.replyJobs.held(conversationId, epoch);
      if (!job) return { kind: 'lost' };
      await repos.locks.phoneNumber(job.phoneNumberId);
      const message = await repos.messages.get(messageId);
      if (!message || message.status !== 'pending') return { kind: 'skipped', reason: 'not_pending' };
      const fail = async (reason: string): Promise<SendPermit> => {
        await repos.messages.setStatus(message.id, { status: 'pending', failureReason: null }, { status: 'failed', failureReason: reason });
        return { kind: 'skipped', reason };
      };
      const { conversation, why } = await answering(repos, job);
      const phone = await repos.phoneNumbers.byId(job.phoneNumberId);
      if (why !== null || !conversation || !phone) return fail(REPLY_FAILURE.agentUnavailable);
      const [lastCustomer] = (await repos.messages.latest(conversationId, 50)).filter((m) => m.role === 'user').slice(-1);
      if (!insideServiceWindow(lastCustomer?.createdAt ?? conversation.lastMessageAt, deps.clock.now())) return fail(REPLY_FAILURE.outsideWindow);
      const accessToken = await repos.phoneNumbers.accessToken(phone.id);
      if (accessToken === null) return fail('no_access_token');
      return { kind: 'send', message, phone, customerId: conversation.customerId, accessToken };
    });
}

/**
 * What the send did. `sent` stores Meta's id, unless a status callback got there first (it can,
 * through `biz_opaque_callback_data`): then only the id is filled in. Not fenced: it records what
 * happened at Meta, whoever holds the job now.
 */
export function recordSendOutcome(_deps: CoreDeps) {
  return ({ uow, messageId, outcome }: { uow: UnitOfWork; messageId: string; outcome: SendOutcome }) =>
    uow.write(async (repos): Promise<boolean> => {
      const message = await repos.messages.get(messageId);
      if (!message) return false;
      await repos.locks.phoneNumber(message.phoneNumberId);
      const from = { status: message.status, failureReason: message.failureReason };
      if (outcome.kind === 'sent') {
        const settled = message.status === 'pending' || (message.status === 'failed' && message.failureReason === REPLY_FAILURE.interrupted);
        const to = settled ? { status: 'sent' as const, failureReason: null } : from;
        return repos.messages.setStatus(message.id, from, { ...to, platformMessageId: outcome.platformMessageId });
      }
      if (message.status !== 'pending') return false;
      const reason = outcome.kind === 'failed' ? outcome.reason : REPLY_FAILURE.interrupted;
      return repos.messages.setStatus(message.id, from, { status: 'failed', failureReason: reason });
    });
}

export function finishReplyTurn(deps: CoreDeps) {
  return ({ uow, conversationId, epoch }: { uow: UnitOfWork; conversationId: string; epoch: number }): Promise<ReplyFinish> =>
    uow.write((repos) => repos.replyJobs.finish(conversationId, epoch, deps.clock.now()));
}

/** Hands a turn back unanswered (shutdown): another worker, or this one after a restart, takes it up again at once. */
export function releaseReplyTurn(deps: CoreDeps) {
  return ({ uow, conversationId, epoch }: { uow: UnitOfWork; conversationId: string; epoch: number }) =>
    uow.write((repos) => repos.replyJobs.release(conversationId, epoch, deps.clock.now()));
}

export function replyQueueDepth(deps: CoreDeps) {
  return ({ uow }: { uow: UnitOfWork }) => uow.read((repos) => repos.replyJobs.depth(deps.clock.now()));
}
