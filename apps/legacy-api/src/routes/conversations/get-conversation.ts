import { createRoute, z } from '@hono/zod-openapi';
import { presentConversation } from '../../presenters';
import { reply } from '../../reply';
import { commonErrors, Conversation, json, pathParam } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const ConversationParams = z.object({
  user_id: pathParam('user_id', 'usr_abc123'),
  id: pathParam('id', 'conv_67a9cd80a1b2c3d4e5f60718'),
});

const route = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'get',
    path: '/users/{user_id}/conversations/{id}',
    summary: 'Get a conversation',
    description: 'Archived conversations stay readable (R2).',
    tags: ['Conversations'],
    security: [{ ApiKeyAuth: [] }],
    middleware: guards.base('conversations:read'),
    request: { params: ConversationParams },
    responses: { 200: json(Conversation, 'The conversation'), ...commonErrors },
  });

export function registerGetConversation(app: LegacyApp, { services, guards }: RouteDeps) {
  app.openapi(route(guards), (c) => {
    const { id } = c.req.valid('param');
    return reply(c, services, (ctx) => services.core.getConversation({ ctx, id }), presentConversation, 200);
  });
}
