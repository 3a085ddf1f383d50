import { createRoute, z } from '@hono/zod-openapi';
import type { ConversationFilter } from '@gateway/core';
import { keyed } from '../../openapi';
import { presentConversation, presentPagination } from '../../presenters';
import { reply } from '../../reply';
import { commonErrors, Conversation, enumFilter, idFilter, json, Pagination, pageQuery, UserParams } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const ListConversationsQuery = z.object({
  ...pageQuery,
  agent_id: idFilter('agent_id'),
  phone_number_id: idFilter('phone_number_id'),
  status: enumFilter('status', ['active', 'archived']),
});
export const ConversationList = z.object({ conversations: z.array(Conversation), pagination: Pagination }).openapi('ConversationList');
export type ConversationListResponse = z.infer<typeof ConversationList>;
export type ConversationResponse = z.infer<typeof Conversation>;

export const listConversationsRoute = createRoute({
  method: 'get',
  path: '/users/{user_id}/conversations',
  operationId: 'listConversations',
  summary: 'List conversations',
  tags: ['Conversations'],
  ...keyed('conversations:read', "Conversations on the user's numbers, archived ones included, latest activity first."),
  request: { params: UserParams, query: ListConversationsQuery },
  responses: { 200: json(ConversationList, 'A page of conversations'), ...commonErrors },
});

export function registerListConversations(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...listConversationsRoute, middleware: guard(listConversationsRoute) }, (c) => {
    const { limit, offset, agent_id, phone_number_id, status } = c.req.valid('query');
    const filter: ConversationFilter = {
      ...(agent_id !== undefined ? { agentId: agent_id } : {}),
      ...(phone_number_id !== undefined ? { phoneNumberId: phone_number_id } : {}),
      ...(status !== undefined ? { status } : {}),
    };
    return reply(
      c,
      services,
      (ctx) => services.core.listConversations({ ctx, filter, page: { kind: 'offset', limit, offset } }),
      (page) => ({ conversations: page.items.map(presentConversation), pagination: presentPagination(page, limit, offset) }),
      200,
    );
  });
}
