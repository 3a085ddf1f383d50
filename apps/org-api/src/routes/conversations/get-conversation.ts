import { createRoute } from '@hono/zod-openapi';
import { normalizeId } from '@gateway/core';
import { ctxFor } from '@gateway/http';
import { answerOk, AUTH_ERRORS, dataEnvelope, errorResponses, json, pathId } from '../../schemas/common';
import { ConversationSchema, toConversation } from '../../schemas/conversations';
import { bearer, type OrgApp, type RouteDeps } from '../shared';

export const conversationIdParam = pathId('`conv_…` or the bare 24 hex digits.');
export const conversationPathId = (id: string) => normalizeId('conv', id) ?? id;

export const getConversationRoute = createRoute({
  method: 'get',
  path: '/conversations/{id}',
  operationId: 'retrieveConversation',
  tags: ['Conversations'],
  summary: 'Retrieve a conversation',
  ...bearer('conversations:read', 'Archived conversations stay readable (R2).'),
  request: { params: conversationIdParam },
  responses: {
    200: json(dataEnvelope(ConversationSchema), 'The conversation'),
    ...errorResponses(...AUTH_ERRORS, 'conversation_not_found', 'not_found'),
  },
});

export function registerGetConversation(app: OrgApp, { services, guard }: RouteDeps) {
  app.openapi({ ...getConversationRoute, middleware: guard(getConversationRoute) }, async (c) => {
    const conversation = await services.core.getConversation({ ctx: ctxFor(c, services), id: conversationPathId(c.req.valid('param').id) });
    return answerOk(c, conversation, toConversation);
  });
}
