import { createRoute, z } from '@hono/zod-openapi';
import { normalizeId } from '@gateway/core';
import { ctxFor } from '@gateway/http';
import { answerPage, AUTH_ERRORS, cursorParam, errorResponses, json, limitParam, listEnvelope } from '../../schemas/common';
import { ConversationSchema, toConversation } from '../../schemas/conversations';
import { bearer, type OrgApp, type RouteDeps } from '../shared';

export const CONVERSATIONS_DEFAULT_LIMIT = 25;

/** A filter id that names nothing in the org (malformed, unknown, another org's) gives an empty list. */
const filterId = z.string().max(256).optional();

export const listConversationsRoute = createRoute({
  method: 'get',
  path: '/conversations',
  operationId: 'listConversations',
  tags: ['Conversations'],
  summary: 'List conversations',
  ...bearer('conversations:read', 'The org’s conversations, latest activity first, by cursor. Archived ones included unless filtered.'),
  request: {
    query: z.object({
      agent_id: filterId.openapi({ param: { name: 'agent_id', in: 'query' } }),
      phone_number_id: filterId.openapi({ param: { name: 'phone_number_id', in: 'query' } }),
      status: z.enum(['active', 'archived']).optional().openapi({ param: { name: 'status', in: 'query' } }),
      cursor: cursorParam('conversations'),
      limit: limitParam(CONVERSATIONS_DEFAULT_LIMIT),
    }),
  },
  responses: {
    200: json(listEnvelope(ConversationSchema), 'A page of conversations'),
    ...errorResponses(...AUTH_ERRORS, 'validation_failed'),
  },
});

export function registerListConversations(app: OrgApp, { services, guard }: RouteDeps) {
  app.openapi({ ...listConversationsRoute, middleware: guard(listConversationsRoute) }, async (c) => {
    const q = c.req.valid('query');
    const result = await services.core.listConversations({
      ctx: ctxFor(c, services),
      filter: {
        ...(q.agent_id !== undefined ? { agentId: normalizeId('agent', q.agent_id) ?? q.agent_id } : {}),
        ...(q.phone_number_id !== undefined ? { phoneNumberId: normalizeId('pn', q.phone_number_id) ?? q.phone_number_id } : {}),
        ...(q.status !== undefined ? { status: q.status } : {}),
      },
      page: { kind: 'keyset', limit: q.limit ?? CONVERSATIONS_DEFAULT_LIMIT, after: q.cursor ?? null },
    });
    return answerPage(c, 'conversations', result, toConversation);
  });
}
