import { createRoute, z } from '@hono/zod-openapi';
import { keyed } from '../../openapi';
import { reply } from '../../reply';
import { commonErrors, json } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';
import { AgentParams } from './get-agent';

export const AgentDeleted = z.object({ agent_id: z.string(), deleted: z.literal(true) }).openapi('AgentDeleted');

export const deleteAgentRoute = createRoute({
  method: 'delete',
  path: '/users/{user_id}/agents/{agent_id}',
  operationId: 'deleteAgent',
  summary: 'Delete an agent',
  tags: ['Agents'],
  ...keyed('agents:delete', 'Soft delete (R3): the agent is gone, its number is free, its conversations are kept.'),
  request: { params: AgentParams },
  responses: { 200: json(AgentDeleted, 'The agent was deleted'), ...commonErrors },
});

export function registerDeleteAgent(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...deleteAgentRoute, middleware: guard(deleteAgentRoute) }, (c) => {
    const { agent_id } = c.req.valid('param');
    return reply(
      c,
      services,
      (ctx) => services.core.deleteAgent({ ctx, id: agent_id }),
      (agent) => ({ agent_id: agent.id, deleted: true as const }),
      200,
    );
  });
}
