import { z } from '@hono/zod-openapi';
import { MESSAGE_STATUSES, type Conversation, type Message } from '@gateway/core';
import { iso, isoOrNull, Timestamp } from './common';

export const ConversationSchema = z
  .object({
    id: z.string().openapi({ example: 'conv_6a39a4f1c0ef2ec711ef6dc1' }),
    agent_id: z.string().nullable().openapi({ description: 'null for messages that reached the number while it had no active agent.' }),
    phone_number_id: z.string(),
    customer_id: z.string().openapi({ description: 'WhatsApp wa_id or Instagram IGSID.' }),
    status: z.enum(['active', 'archived']),
    archived_at: Timestamp.nullable(),
    archive_reason: z.string().nullable().openapi({ example: 'agent_replaced' }),
    message_count: z.number().int(),
    last_message_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Conversation');
export type ConversationView = z.infer<typeof ConversationSchema>;

export const MessageSchema = z
  .object({
    id: z.string().openapi({ example: 'msg_6a39a4f1c0ef2ec711ef6dc1' }),
    conversation_id: z.string(),
    role: z.enum(['user', 'assistant']),
    content: z.string(),
    status: z.enum(MESSAGE_STATUSES).openapi({ description: "Where the message stands. `received`: a customer's message. Replies: `pending` (stored, not yet accepted by Meta), `sent` (Meta accepted it), `delivered` and `read` (from Meta's status callbacks), `failed` (see `failure_reason`)." }),
    failure_reason: z.string().nullable().openapi({ description: "Why a reply failed, null unless `status` is `failed`: the model's or Meta's error with its code (`model API 400 invalid_prompt`, `meta 131047 (HTTP 400): …`), `interrupted` (a send whose outcome a crash or a lost answer made unknown; a later status callback from Meta can still settle it), `outside_window` (more than 24 hours after the customer's last message), or `agent_unavailable` (the agent stopped answering the conversation before the send)." }),
    created_at: Timestamp,
  })
  .openapi('Message');
export type MessageView = z.infer<typeof MessageSchema>;

export function toConversation(c: Conversation): ConversationView {
  return {
    id: c.id,
    agent_id: c.agentId,
    phone_number_id: c.phoneNumberId,
    customer_id: c.customerId,
    status: c.status,
    archived_at: isoOrNull(c.archivedAt),
    archive_reason: c.archiveReason,
    message_count: c.messageCount,
    last_message_at: isoOrNull(c.lastMessageAt),
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
  };
}

export function toMessage(m: Message): MessageView {
  return {
    id: m.id,
    conversation_id: m.conversationId,
    role: m.role,
    content: m.text,
    status: m.status,
    failure_reason: m.failureReason,
    created_at: iso(m.createdAt),
  };
}
