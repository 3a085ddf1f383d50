import { createRoute, z } from '@hono/zod-openapi';
import { keyed } from '../../openapi';
import { presentConversation } from '../../presenters';
import { reply } from '../../reply';
import { commonErrors, Conversation, json, pathParam, UserParams } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const ConversationParams = z.object({
  ...UserParams.shape,
  id: pathParam('id', 'The conversation (`conv_…`).'),
});

export const getConversationRoute = createRoute({
  method: 'get',
  path: '/users/{user_id}/conversations/{id}',
  operationId: 'getConversation',
  summary: 'Get a conversation',
  tags: ['Conversations'],
  ...keyed('conversations:read', 'Archived conversations stay readable (R2).'),
  request: { params: ConversationParams },
  responses: { 200: json(Conversation, 'The conversation'), ...commonErrors },
});

export function registerGetConversation(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...getConversationRoute, middleware: guard(getConversationRoute) }, (c) => {
    const { id } = c.req.valid('param');
    return reply(c, services, (ctx) => services.core.getConversation({ ctx, id }), presentConversation, 200);
  });
}
