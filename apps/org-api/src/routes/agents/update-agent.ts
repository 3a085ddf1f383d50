import { createRoute } from '@hono/zod-openapi';
import { respond } from '@gateway/http';
import { IDEMPOTENCY_KEY } from '../../openapi';
import { AgentSchema, toAgent, toAgentFields, UpdateAgentBody } from '../../schemas/agents';
import { AUTH_ERRORS, BODY_ERRORS, dataEnvelope, errorResponses, json, ok } from '../../schemas/common';
import { bearer, rendered, type OrgApp, type RouteDeps } from '../shared';
import { agentIdParam, agentPathId } from './get-agent';

export const updateAgentRoute = createRoute({
  method: 'patch',
  path: '/agents/{id}',
  operationId: 'updateAgent',
  tags: ['Agents'],
  summary: 'Update an agent',
  ...bearer(
    'agents:write',
    'Any subset of the create fields, plus is_active and deactivated_reason. Arrays replace the whole list; tools without connectors derives connectors again. Honors Idempotency-Key.',
  ),
  parameters: [IDEMPOTENCY_KEY],
  request: { params: agentIdParam, body: { required: true, content: { 'application/json': { schema: UpdateAgentBody } } } },
  responses: {
    200: json(dataEnvelope(AgentSchema), 'The updated agent', { replayable: true }),
    ...errorResponses(...AUTH_ERRORS, ...BODY_ERRORS, 'agent_not_found', 'not_found', 'agent_handle_taken', 'phone_number_in_use'),
  },
});

export function registerUpdateAgent(app: OrgApp, { services, guard }: RouteDeps) {
  app.openapi({ ...updateAgentRoute, middleware: guard(updateAgentRoute) }, (c) => {
    const id = agentPathId(c.req.valid('param').id);
    const input = toAgentFields(c.req.valid('json'));
    return rendered(
      respond(
        c,
        services,
        (ctx) => services.core.updateAgent({ ctx, id, input }),
        (agent) => ({ status: 200, body: ok(c, toAgent(agent)) }),
      ),
    );
  });
}
