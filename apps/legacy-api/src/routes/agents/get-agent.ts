import { createRoute, z } from '@hono/zod-openapi';
import { keyed } from '../../openapi';
import { presentAgent } from '../../presenters';
import { reply } from '../../reply';
import { Agent, commonErrors, json, pathParam, UserParams } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const AgentParams = z.object({
  ...UserParams.shape,
  agent_id: pathParam('agent_id', 'The agent (`agent_…`, or the id its client chose).'),
});

export const getAgentRoute = createRoute({
  method: 'get',
  path: '/users/{user_id}/agents/{agent_id}',
  operationId: 'getAgent',
  summary: 'Get an agent',
  tags: ['Agents'],
  ...keyed('agents:read', "An agent on one of the user's numbers."),
  request: { params: AgentParams },
  responses: { 200: json(Agent, 'The agent'), ...commonErrors },
});

export function registerGetAgent(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...getAgentRoute, middleware: guard(getAgentRoute) }, (c) => {
    const { user_id, agent_id } = c.req.valid('param');
    return reply(
      c,
      services,
      (ctx) => services.core.getAgent({ ctx, id: agent_id }),
      (agent) => presentAgent(agent, user_id),
      200,
    );
  });
}
