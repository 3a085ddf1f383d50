import { createRoute, z } from '@hono/zod-openapi';
import { presentAgent } from '../../presenters';
import { reply } from '../../reply';
import { Agent, commonErrors, json, pathParam } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const AgentParams = z.object({
  user_id: pathParam('user_id', 'usr_abc123'),
  agent_id: pathParam('agent_id', 'agent_67a9cd80a1b2c3d4e5f60718'),
});

const route = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'get',
    path: '/users/{user_id}/agents/{agent_id}',
    summary: 'Get an agent',
    tags: ['Agents'],
    security: [{ ApiKeyAuth: [] }],
    middleware: guards.base('agents:read'),
    request: { params: AgentParams },
    responses: { 200: json(Agent, 'The agent'), ...commonErrors },
  });

export function registerGetAgent(app: LegacyApp, { services, guards }: RouteDeps) {
  app.openapi(route(guards), (c) => {
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
