import { createRoute } from '@hono/zod-openapi';
import { respond } from '@gateway/http';
import { IDEMPOTENCY_KEY } from '../../openapi';
import { AgentSchema, CreateAgentBody, toAgent, toCreateInput } from '../../schemas/agents';
import { AUTH_ERRORS, BODY_ERRORS, dataEnvelope, errorResponses, json, ok } from '../../schemas/common';
import { bearer, rendered, type OrgApp, type RouteDeps } from '../shared';

export const createAgentRoute = createRoute({
  method: 'post',
  path: '/agents',
  operationId: 'createAgent',
  tags: ['Agents'],
  summary: 'Create an agent',
  ...bearer('agents:write', 'Honors the Idempotency-Key header so retries do not create duplicates.'),
  parameters: [IDEMPOTENCY_KEY],
  request: { body: { required: true, content: { 'application/json': { schema: CreateAgentBody } } } },
  responses: {
    201: json(dataEnvelope(AgentSchema), 'The created agent', { replayable: true }),
    ...errorResponses(...AUTH_ERRORS, ...BODY_ERRORS, 'agent_handle_taken', 'phone_number_in_use'),
  },
});

export function registerCreateAgent(app: OrgApp, { services, guard }: RouteDeps) {
  app.openapi({ ...createAgentRoute, middleware: guard(createAgentRoute) }, (c) => {
    const input = toCreateInput(c.req.valid('json'));
    return rendered(
      respond(
        c,
        services,
        (ctx) => services.core.createAgent({ ctx, input }),
        (agent) => ({ status: 201, body: ok(c, toAgent(agent)) }),
      ),
    );
  });
}
