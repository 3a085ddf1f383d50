import { createRoute, z } from '@hono/zod-openapi';
import { presentAgent } from '../../presenters';
import { reply } from '../../reply';
import { Agent, body, bodyErrors, commonErrors, conflict, json, optionalString } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';
import { AgentParams } from './get-agent';

export const AT_LEAST_ONE_AGENT_FIELD = 'At least one field (name, prompt_id, phone_number_id) must be provided';

export const UpdateAgentBody = body({
  name: optionalString('name'),
  prompt_id: optionalString('prompt_id'),
  phone_number_id: optionalString('phone_number_id').openapi({ description: "Moves the agent to another of the user's numbers" }),
})
  .refine((b) => b.name !== undefined || b.prompt_id !== undefined || b.phone_number_id !== undefined, {
    error: AT_LEAST_ONE_AGENT_FIELD,
  })
  .openapi({ example: { name: 'Customer Support Agent (EU)', prompt_id: 'prompt_support_v2' } });
export type UpdateAgentBody = z.input<typeof UpdateAgentBody>;

const route = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'patch',
    path: '/users/{user_id}/agents/{agent_id}',
    summary: 'Update an agent',
    description: 'Renaming or changing the prompt keeps the conversations; moving to another number archives that number\'s conversations of other agents (R2).',
    tags: ['Agents'],
    security: [{ ApiKeyAuth: [] }],
    middleware: guards.withBody('agents:write'),
    request: {
      params: AgentParams,
      body: { required: true, content: { 'application/json': { schema: UpdateAgentBody } } },
    },
    responses: {
      200: json(Agent, 'The updated agent'),
      ...commonErrors,
      ...bodyErrors,
      ...conflict('Conflict: the target number already has an active agent, or the Idempotency-Key conflicts'),
    },
  });

export function registerUpdateAgent(app: LegacyApp, { services, guards }: RouteDeps) {
  app.openapi(route(guards), (c) => {
    const { user_id, agent_id } = c.req.valid('param');
    const input = c.req.valid('json');
    return reply(
      c,
      services,
      (ctx) =>
        services.core.updateAgent({
          ctx,
          id: agent_id,
          input: {
            ...(input.name !== undefined ? { name: input.name } : {}),
            ...(input.prompt_id !== undefined ? { promptId: input.prompt_id } : {}),
            ...(input.phone_number_id !== undefined ? { phoneNumberId: input.phone_number_id } : {}),
          },
        }),
      (agent) => presentAgent(agent, user_id),
      200,
    );
  });
}
