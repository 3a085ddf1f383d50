import { createRoute, z } from '@hono/zod-openapi';
import { presentAgent } from '../../presenters';
import { reply } from '../../reply';
import { Agent, body, bodyErrors, commonErrors, conflict, json, optionalString, requiredString, UserParams } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const CreateAgentBody = body({
  phone_number_id: requiredString('phone_number_id').openapi({ example: 'pn_abc123', description: 'Phone number or Instagram account id' }),
  prompt_id: requiredString('prompt_id').openapi({ example: 'prompt_xyz789', description: 'OpenAI prompt id from the dashboard' }),
  name: requiredString('name').openapi({ example: 'Customer Support Agent' }),
  agent_id: optionalString('agent_id').openapi({
    description: 'A client-chosen id, 1-64 of [A-Za-z0-9_-] (older clients name their own agents); generated when absent',
  }),
}).openapi({
  // The body of the published page user-scoped-create-agent.md.
  example: { phone_number_id: 'pn_abc123', prompt_id: 'prompt_xyz789', name: 'Customer Support Agent' },
});
export type CreateAgentBody = z.input<typeof CreateAgentBody>;
export type AgentResponse = z.infer<typeof Agent>;

const route = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'post',
    path: '/users/{user_id}/agents',
    summary: 'Create an agent',
    description: 'Links an OpenAI prompt to a phone number or Instagram account of the user. One active agent per number (R1).',
    tags: ['Agents'],
    security: [{ ApiKeyAuth: [] }],
    middleware: guards.withBody('agents:write'),
    request: {
      params: UserParams,
      body: { required: true, content: { 'application/json': { schema: CreateAgentBody } } },
    },
    responses: {
      201: json(Agent, 'The agent'),
      ...commonErrors,
      ...bodyErrors,
      ...conflict('Conflict: the number already has an active agent, the agent_id exists, or the Idempotency-Key conflicts'),
    },
  });

export function registerCreateAgent(app: LegacyApp, { services, guards }: RouteDeps) {
  app.openapi(route(guards), (c) => {
    const { user_id } = c.req.valid('param');
    const input = c.req.valid('json');
    return reply(
      c,
      services,
      (ctx) =>
        services.core.createAgent({
          ctx,
          input: {
            name: input.name,
            promptId: input.prompt_id,
            phoneNumberId: input.phone_number_id,
            ...(input.agent_id !== undefined ? { id: input.agent_id } : {}),
          },
        }),
      (agent) => presentAgent(agent, user_id),
      201,
    );
  });
}
