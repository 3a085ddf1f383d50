import { createRoute, z } from '@hono/zod-openapi';
import { keyed } from '../../openapi';
import { presentAgent, presentPagination } from '../../presenters';
import { reply } from '../../reply';
import { Agent, commonErrors, idFilter, json, Pagination, pageQuery, UserParams } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const ListAgentsQuery = z.object({ ...pageQuery, phone_number_id: idFilter('phone_number_id') });
export const AgentList = z.object({ agents: z.array(Agent), pagination: Pagination }).openapi('AgentList');
export type AgentListResponse = z.infer<typeof AgentList>;

export const listAgentsRoute = createRoute({
  method: 'get',
  path: '/users/{user_id}/agents',
  operationId: 'listAgents',
  summary: 'List agents',
  tags: ['Agents'],
  ...keyed('agents:read', "The agents on the user's numbers, newest first."),
  request: { params: UserParams, query: ListAgentsQuery },
  responses: { 200: json(AgentList, 'A page of agents'), ...commonErrors },
});

export function registerListAgents(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...listAgentsRoute, middleware: guard(listAgentsRoute) }, (c) => {
    const { user_id } = c.req.valid('param');
    const { limit, offset, phone_number_id } = c.req.valid('query');
    return reply(
      c,
      services,
      (ctx) =>
        services.core.listAgents({
          ctx,
          filter: phone_number_id !== undefined ? { phoneNumberId: phone_number_id } : {},
          page: { kind: 'offset', limit, offset },
        }),
      (page) => ({ agents: page.items.map((agent) => presentAgent(agent, user_id)), pagination: presentPagination(page, limit, offset) }),
      200,
    );
  });
}
