import { createRoute, z } from '@hono/zod-openapi';
import { CLIENT_AGENT_ID_PATTERN, NAME_MAX, PROMPT_ID_PATTERN } from '@gateway/core';
import { IDEMPOTENCY_KEY, keyed } from '../../openapi';
import { presentAgent } from '../../presenters';
import { reply } from '../../reply';
import { Agent, body, bodyErrors, commonErrors, conflict, json, NOT_BLANK, optionalString, requiredString, UserParams } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const CreateAgentBody = body({
  phone_number_id: requiredString('phone_number_id').openapi({ example: 'pn_abc123', description: 'Phone number or Instagram account id' }),
  prompt_id: requiredString('prompt_id').openapi({
    example: 'prompt_xyz789',
    description: 'OpenAI prompt id from the dashboard: 1-255 of letters, digits, `_`, `.`, `:`, `-` (R5)',
    pattern: PROMPT_ID_PATTERN.source,
  }),
  name: requiredString('name').openapi({
    example: 'Customer Support Agent',
    description: `1-${NAME_MAX} characters after trimming (R9)`,
    maxLength: NAME_MAX,
    pattern: NOT_BLANK,
  }),
  agent_id: optionalString('agent_id').openapi({
    description: 'A client-chosen id, 1-64 of [A-Za-z0-9_-] (older clients name their own agents); generated when absent',
    pattern: CLIENT_AGENT_ID_PATTERN.source,
  }),
}).openapi({
  // The body of the published page user-scoped-create-agent.md.
  example: { phone_number_id: 'pn_abc123', prompt_id: 'prompt_xyz789', name: 'Customer Support Agent' },
});
export type CreateAgentBody = z.input<typeof CreateAgentBody>;
export type AgentResponse = z.infer<typeof Agent>;

export const createAgentRoute = createRoute({
  method: 'post',
  path: '/users/{user_id}/agents',
  operationId: 'createAgent',
  summary: 'Create an agent',
  tags: ['Agents'],
  ...keyed('agents:write', 'Links an OpenAI prompt to a phone number or Instagram account of the user. One active agent per number (R1).'),
  parameters: [IDEMPOTENCY_KEY],
  request: {
    params: UserParams,
    body: { required: true, content: { 'application/json': { schema: CreateAgentBody } } },
  },
  responses: {
    201: json(Agent, 'The agent', { replayable: true }),
    ...commonErrors,
    ...bodyErrors,
    ...conflict('Conflict: the number already has an active agent, the agent_id exists, or the Idempotency-Key conflicts'),
  },
});

export function registerCreateAgent(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...createAgentRoute, middleware: guard(createAgentRoute) }, (c) => {
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
