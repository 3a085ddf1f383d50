import type { Message, Platform } from '../../model';
import type { Repositories, UnitOfWork } from '../../ports';
import type { CoreDeps } from '../context';

/** One customer message as a platform delivered it, already parsed. */
export interface InboundMessage {
  platform: Platform;
  /** Meta's id of the business number or Instagram account the message was sent to. */
  metaPhoneNumberId: string;
  /** WhatsApp `wa_id` or Instagram IGSID. */
  customerId: string;
  platformMessageId: string;
  /** `text`, or the platform's type of the content (`image`, `audio`, …). */
  type: string;
  text: string;
}

export type InboundOutcome =
  | {
      outcome: 'stored';
      conversationId: string;
      messageId: string;
      newConversation: boolean;
      agentId: string | null;
      /** Whether a reply was queued with it (§8: replies are on and the conversation's agent is active). */
      enqueued: boolean;
    }
  | { outcome: 'duplicate' }
  | { outcome: 'unknown_number' };

/**
 * Routes each message to its number, then to the customer's active conversation there, or a new one
 * with the number's active agent (R2: after a takeover the old one is archived, so a new one opens).
 * A number without an active agent still keeps what its customer wrote, in a conversation without
 * an agent (an agent that later takes the number archives it, R2). A platform message id is stored
 * once per number. The whole batch commits together or not at all.
 *
 * Each message first takes its number's lock, which every takeover holds while it archives: a
 * conversation found active here stays active until this write commits.
 */
export function recordInboundMessages(deps: CoreDeps) {
  return async ({ uow, messages }: { uow: UnitOfWork; messages: readonly InboundMessage[] }): Promise<InboundOutcome[]> =>
    uow.write((repos) => storeInboundMessages(deps, repos, messages));
}

/** The work of {@link recordInboundMessages}, inside a transaction the caller holds. */
export async function storeInboundMessages(deps: CoreDeps, repos: Repositories, messages: readonly InboundMessage[]): Promise<InboundOutcome[]> {
  const outcomes: InboundOutcome[] = [];
  for (const inbound of messages) {
    const phone = await repos.phoneNumbers.findByMeta(inbound.platform, inbound.metaPhoneNumberId);
    if (!phone) {
      outcomes.push({ outcome: 'unknown_number' });
      continue;
    }
    await repos.locks.phoneNumber(phone.id);
    if (await repos.messages.seen(phone.id, inbound.platformMessageId)) {
      outcomes.push({ outcome: 'duplicate' });
      continue;
    }
    const now = deps.clock.now();
    let conversation = await repos.conversations.findActive(phone.id, inbound.customerId);
    let newConversation = false;
    if (!conversation) {
      const agent = await repos.agents.activeOnPhoneNumber(phone.id);
      conversation = {
        id: deps.ids.next('conv'),
        orgId: phone.orgId,
        phoneNumberId: phone.id,
        agentId: agent?.id ?? null,
        customerId: inbound.customerId,
        status: 'active',
        archivedAt: null,
        archiveReason: null,
        messageCount: 0,
        lastMessageAt: null,
        createdAt: now,
        updatedAt: now,
      };
      newConversation = true;
      await repos.conversations.insert(conversation);
    }
    const seq = await repos.conversations.recordMessage(conversation.id, now);
    const message: Message = {
      id: deps.ids.next('msg'),
      conversationId: conversation.id,
      phoneNumberId: phone.id,
      seq,
      role: 'user',
      text: inbound.text,
      type: inbound.type,
      platformMessageId: inbound.platformMessageId,
      status: 'received',
      failureReason: null,
      createdAt: now,
    };
    if (!(await repos.messages.insert(message))) {
      // Another writer stored it between the check and the insert: let the batch fail and be retried.
      throw new Error(`platform message ${inbound.platformMessageId} was stored concurrently`);
    }
    const answeredBy = deps.replies && conversation.agentId !== null ? await repos.agents.activeOnPhoneNumber(phone.id) : null;
    const enqueued = deps.replies != null && answeredBy !== null && answeredBy.id === conversation.agentId;
    if (enqueued && deps.replies) {
      // §8: the work to answer commits with the message, so a crash can lose neither.
      await repos.replyJobs.enqueue({
        conversationId: conversation.id,
        orgId: conversation.orgId,
        phoneNumberId: phone.id,
        seq,
        at: now,
        debounceMs: deps.replies.debounceMs,
        maxWaitMs: deps.replies.maxWaitMs,
      });
    }
    outcomes.push({ outcome: 'stored', conversationId: conversation.id, messageId: message.id, newConversation, agentId: conversation.agentId, enqueued });
  }
  return outcomes;
}
