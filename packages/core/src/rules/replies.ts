import type { Agent, Conversation, Message, MessageStatus, Millis } from '../model';

/** §8: Meta accepts free-form replies only within 24 hours of the customer's last message. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Whether a reply may still go out at `now`: less than 24 hours after the customer's last message. */
export function insideServiceWindow(lastCustomerMessageAt: Millis | null, now: Millis): boolean {
  if (lastCustomerMessageAt === null || !Number.isFinite(lastCustomerMessageAt) || !Number.isFinite(now)) return false;
  return now - lastCustomerMessageAt < SERVICE_WINDOW_MS;
}

/** The failure reasons the gateway itself gives a reply (the model's and Meta's errors carry their own). */
export const REPLY_FAILURE = {
  /** A send whose outcome a crash (or a lost answer) made unknown; a later status callback can settle it. */
  interrupted: 'interrupted',
  /** More than 24 hours after the customer's last message. */
  outsideWindow: 'outside_window',
  /** The agent stopped answering this conversation (deleted, deactivated or replaced) before this part went out. */
  agentUnavailable: 'agent_unavailable',
} as const;

/** What a status callback from Meta reports about a reply. */
export type DeliveryState = 'sent' | 'delivered' | 'read' | 'failed';

const RANK: Record<MessageStatus, number> = { received: -1, pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/**
 * §8: statuses move forwards only. `sent` < `delivered` < `read`; Meta's `failed` settles a reply that
 * is pending or sent. A reply `failed` as `interrupted` gives way to whatever Meta reports; any other
 * failure, and customer messages, never change. Returns the new state, or null to leave it.
 */
export function advanceStatus(
  current: Pick<Message, 'role' | 'status' | 'failureReason'>,
  incoming: DeliveryState,
  failureReason: string | null,
): { status: MessageStatus; failureReason: string | null } | null {
  if (current.role !== 'assistant' || current.status === 'received') return null;
  if (current.status === 'failed') {
    return current.failureReason === REPLY_FAILURE.interrupted ? toState(incoming, failureReason) : null;
  }
  if (incoming === 'failed') return current.status === 'pending' || current.status === 'sent' ? toState(incoming, failureReason) : null;
  return RANK[incoming] > RANK[current.status] ? toState(incoming, null) : null;
}

function toState(status: DeliveryState, failureReason: string | null) {
  return { status, failureReason: status === 'failed' ? (failureReason ?? 'failed') : null };
}

/** Why the agent does not answer a conversation now, or null when it does (R1–R3, R5). */
export type NotAnswering = 'conversation_archived' | 'no_agent' | 'agent_not_active' | 'no_instructions' | 'number_deleted';

/**
 * The agent answers a conversation while the conversation is active, the agent is the active agent
 * on the conversation's number (not deleted, deactivated or replaced: R1–R3), and it has usable
 * instructions or a stored prompt (R5).
 */
export function whyNotAnswering(conversation: Conversation | null, activeAgent: Agent | null): NotAnswering | null {
  if (conversation === null || conversation.status !== 'active') return 'conversation_archived';
  if (conversation.agentId === null) return 'no_agent';
  if (activeAgent === null || activeAgent.id !== conversation.agentId || !activeAgent.isActive || activeAgent.deletedAt !== null) {
    return 'agent_not_active';
  }
  const hasInstructions = activeAgent.instructions !== null && activeAgent.instructions.trim() !== '';
  if (!hasInstructions && activeAgent.promptId === null) return 'no_instructions';
  return null;
}
