import { createRoute, z } from '@hono/zod-openapi';
import { ctxFor } from '@gateway/http';
import { AgentSummarySchema, toAgentSummary } from '../../schemas/agents';
import { answerPage, AUTH_ERRORS, cursorParam, errorResponses, json, limitParam, listEnvelope } from '../../schemas/common';
import { bearer, type OrgApp, type RouteDeps } from '../shared';

export const AGENTS_DEFAULT_LIMIT = 25;

export const listAgentsRoute = createRoute({
  method: 'get',
  path: '/agents',
  operationId: 'listAgents',
  tags: ['Agents'],
  summary: 'List agents',
  ...bearer('agents:read', 'The org’s agents that are not deleted, newest first, by cursor.'),
  request: { query: z.object({ cursor: cursorParam('agents'), limit: limitParam(AGENTS_DEFAULT_LIMIT) }) },
  responses: {
    200: json(listEnvelope(AgentSummarySchema), 'A page of agents'),
    ...errorResponses(...AUTH_ERRORS, 'validation_failed'),
  },
});

export function registerListAgents(app: OrgApp, { services, guard }: RouteDeps) {
  app.openapi({ ...listAgentsRoute, middleware: guard(listAgentsRoute) }, async (c) => {
    const { cursor, limit } = c.req.valid('query');
    const result = await services.core.listAgents({
      ctx: ctxFor(c, services),
      filter: {},
      page: { kind: 'keyset', limit: limit ?? AGENTS_DEFAULT_LIMIT, after: cursor ?? null },
    });
    return answerPage(c, 'agents', result, toAgentSummary);
  });
}
