import { z } from '@hono/zod-openapi';
import type { Conversation, Message } from '@gateway/core';
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
  return { id: m.id, conversation_id: m.conversationId, role: m.role, content: m.text, created_at: iso(m.createdAt) };
}
