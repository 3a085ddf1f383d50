import { createRoute, z } from '@hono/zod-openapi';
import { ctxFor } from '@gateway/http';
import { answerPage, AUTH_ERRORS, cursorParam, errorResponses, json, limitParam, listEnvelope } from '../../schemas/common';
import { MessageSchema, toMessage } from '../../schemas/conversations';
import { bearer, type OrgApp, type RouteDeps } from '../shared';
import { conversationIdParam, conversationPathId } from './get-conversation';

export const MESSAGES_DEFAULT_LIMIT = 50;

export const listMessagesRoute = createRoute({
  method: 'get',
  path: '/conversations/{id}/messages',
  operationId: 'listConversationMessages',
  tags: ['Conversations'],
  summary: 'List the messages of a conversation',
  ...bearer('conversations:read', 'Oldest first, by cursor.'),
  request: {
    params: conversationIdParam,
    query: z.object({ cursor: cursorParam('messages'), limit: limitParam(MESSAGES_DEFAULT_LIMIT) }),
  },
  responses: {
    200: json(listEnvelope(MessageSchema), 'A page of messages'),
    ...errorResponses(...AUTH_ERRORS, 'conversation_not_found', 'not_found', 'validation_failed'),
  },
});

export function registerListMessages(app: OrgApp, { services, guard }: RouteDeps) {
  app.openapi({ ...listMessagesRoute, middleware: guard(listMessagesRoute) }, async (c) => {
    const { cursor, limit } = c.req.valid('query');
    const result = await services.core.listMessages({
      ctx: ctxFor(c, services),
      conversationId: conversationPathId(c.req.valid('param').id),
      page: { kind: 'keyset', limit: limit ?? MESSAGES_DEFAULT_LIMIT, after: cursor ?? null },
    });
    return answerPage(c, 'messages', result, toMessage);
  });
}
