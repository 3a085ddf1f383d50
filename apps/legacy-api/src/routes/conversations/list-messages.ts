import { createRoute, z } from '@hono/zod-openapi';
import { keyed } from '../../openapi';
import { presentMessage, presentPagination } from '../../presenters';
import { reply } from '../../reply';
import { commonErrors, json, Message, Pagination, pageQuery } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';
import { ConversationParams } from './get-conversation';

export const ListMessagesQuery = z.object({ ...pageQuery });
export const MessageList = z.object({ messages: z.array(Message), pagination: Pagination }).openapi('MessageList');
export type MessageListResponse = z.infer<typeof MessageList>;

export const listMessagesRoute = createRoute({
  method: 'get',
  path: '/users/{user_id}/conversations/{id}/messages',
  operationId: 'listConversationMessages',
  summary: "List a conversation's messages",
  tags: ['Conversations'],
  ...keyed('conversations:read', 'Oldest first. `sender` is `user` for the customer and `agent` for the agent.'),
  request: { params: ConversationParams, query: ListMessagesQuery },
  responses: { 200: json(MessageList, 'A page of messages'), ...commonErrors },
});

export function registerListMessages(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...listMessagesRoute, middleware: guard(listMessagesRoute) }, (c) => {
    const { id } = c.req.valid('param');
    const { limit, offset } = c.req.valid('query');
    return reply(
      c,
      services,
      (ctx) => services.core.listMessages({ ctx, conversationId: id, page: { kind: 'offset', limit, offset } }),
      (page) => ({ messages: page.items.map(presentMessage), pagination: presentPagination(page, limit, offset) }),
      200,
    );
  });
}
