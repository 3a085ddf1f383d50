import { createRoute } from '@hono/zod-openapi';
import { answerJson, ctxFor } from '@gateway/http';
import { DeletedSchema } from '../../schemas/agents';
import { AUTH_ERRORS, dataEnvelope, errorResponses, json, ok } from '../../schemas/common';
import { bearer, type OrgApp, type RouteDeps } from '../shared';
import { agentIdParam, agentPathId } from './get-agent';

export const deleteAgentRoute = createRoute({
  method: 'delete',
  path: '/agents/{id}',
  operationId: 'deleteAgent',
  tags: ['Agents'],
  summary: 'Delete an agent',
  ...bearer('agents:delete', 'Soft delete: the handle and the phone number are free again; conversations stay readable. A second delete is 404.'),
  request: { params: agentIdParam },
  responses: {
    200: json(dataEnvelope(DeletedSchema), 'The agent is deleted'),
    ...errorResponses(...AUTH_ERRORS, 'agent_not_found', 'not_found'),
  },
});

export function registerDeleteAgent(app: OrgApp, { services, guard }: RouteDeps) {
  app.openapi({ ...deleteAgentRoute, middleware: guard(deleteAgentRoute) }, async (c) => {
    const agent = await services.core.deleteAgent({ ctx: ctxFor(c, services), id: agentPathId(c.req.valid('param').id) });
    return answerJson(c, ok(c, { id: agent.id, deleted: true as const }), 200);
  });
}
