import { createRoute } from '@hono/zod-openapi';
import { normalizeId } from '@gateway/core';
import { ctxFor } from '@gateway/http';
import { AgentSchema, toAgent } from '../../schemas/agents';
import { answerOk, AUTH_ERRORS, dataEnvelope, errorResponses, json, pathId } from '../../schemas/common';
import { bearer, type OrgApp, type RouteDeps } from '../shared';

/** A path agent id: prefixed, bare 24 hex, or a legacy client-chosen id; unknown ones are 404. */
export const agentIdParam = pathId('`agent_…` or the bare 24 hex digits.');
export const agentPathId = (id: string) => normalizeId('agent', id) ?? id;

export const getAgentRoute = createRoute({
  method: 'get',
  path: '/agents/{id}',
  operationId: 'retrieveAgent',
  tags: ['Agents'],
  summary: 'Retrieve an agent',
  ...bearer('agents:read', 'A full agent of the org: instructions, tools, connectors, sub-agents and data sources included.'),
  request: { params: agentIdParam },
  responses: {
    200: json(dataEnvelope(AgentSchema), 'The agent'),
    ...errorResponses(...AUTH_ERRORS, 'agent_not_found', 'not_found'),
  },
});

export function registerGetAgent(app: OrgApp, { services, guard }: RouteDeps) {
  app.openapi({ ...getAgentRoute, middleware: guard(getAgentRoute) }, async (c) => {
    const agent = await services.core.getAgent({ ctx: ctxFor(c, services), id: agentPathId(c.req.valid('param').id) });
    return answerOk(c, agent, toAgent);
  });
}
