import type { Agent, AgentSummary, Conversation, Message, Millis, PageResult, PhoneNumber } from '@gateway/core';

/**
 * Core entities → legacy JSON (contract §3). Field names are snake_case, times are UTC ISO 8601
 * truncated to the second, and the access token of a number is never part of any shape.
 */

/** `2025-02-10T10:00:00Z`: UTC, truncated (not rounded) to the second. */
export function legacyTimestamp(at: Millis): string {
  return new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const optionalTimestamp = (at: Millis | null) => (at === null ? null : legacyTimestamp(at));

/**
 * A legacy agent. Its `user_id` is the user whose number it runs on, which in this dialect is the
 * path's user: an agent is visible here only on a number that user owns.
 */
export function presentAgent(agent: Agent | AgentSummary, userId: string) {
  return {
    agent_id: agent.id,
    user_id: userId,
    phone_number_id: agent.phoneNumberId,
    prompt_id: agent.promptId,
    name: agent.name,
    created_at: legacyTimestamp(agent.createdAt),
    updated_at: legacyTimestamp(agent.updatedAt),
  };
}

export function presentPhoneNumber(phone: PhoneNumber) {
  return {
    id: phone.id,
    user_id: phone.userId,
    platform: phone.platform,
    meta_phone_number_id: phone.metaPhoneNumberId,
    display_name: phone.displayName,
    waba_id: phone.wabaId,
    created_at: legacyTimestamp(phone.createdAt),
    updated_at: legacyTimestamp(phone.updatedAt),
  };
}

export function presentConversation(conversation: Conversation) {
  return {
    conversation_id: conversation.id,
    agent_id: conversation.agentId,
    phone_number_id: conversation.phoneNumberId,
    customer_id: conversation.customerId,
    status: conversation.status,
    archived_at: optionalTimestamp(conversation.archivedAt),
    message_count: conversation.messageCount,
    last_message_at: optionalTimestamp(conversation.lastMessageAt),
    created_at: legacyTimestamp(conversation.createdAt),
  };
}

export function presentMessage(message: Message) {
  return {
    message_id: message.id,
    conversation_id: message.conversationId,
    sender: message.role === 'assistant' ? ('agent' as const) : ('user' as const),
    text: message.text,
    status: message.status,
    failure_reason: message.failureReason,
    created_at: legacyTimestamp(message.createdAt),
  };
}

/** `{total, limit, offset, has_more}` of an offset page. */
export function presentPagination(page: PageResult<unknown>, limit: number, offset: number) {
  const total = page.total ?? page.items.length;
  return { total, limit, offset, has_more: offset + page.items.length < total };
}
