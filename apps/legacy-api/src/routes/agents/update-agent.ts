import { createRoute, z } from '@hono/zod-openapi';
import { NAME_MAX, PROMPT_ID_PATTERN } from '@gateway/core';
import { IDEMPOTENCY_KEY, keyed } from '../../openapi';
import { presentAgent } from '../../presenters';
import { reply } from '../../reply';
import { Agent, atLeastOneOf, body, bodyErrors, commonErrors, conflict, json, NOT_BLANK, optionalString } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';
import { AgentParams } from './get-agent';

export const AT_LEAST_ONE_AGENT_FIELD = 'At least one field (name, prompt_id, phone_number_id) must be provided';

export const UpdateAgentBody = body({
  name: optionalString('name').openapi({ description: `1-${NAME_MAX} characters after trimming (R9)`, maxLength: NAME_MAX, pattern: NOT_BLANK }),
  prompt_id: optionalString('prompt_id').openapi({ description: '1-255 of letters, digits, `_`, `.`, `:`, `-` (R5)', pattern: PROMPT_ID_PATTERN.source }),
  phone_number_id: optionalString('phone_number_id').openapi({ description: "Moves the agent to another of the user's numbers" }),
})
  .refine((b) => b.name !== undefined || b.prompt_id !== undefined || b.phone_number_id !== undefined, {
    error: AT_LEAST_ONE_AGENT_FIELD,
  })
  .openapi({
    description: 'At least one of name, prompt_id, phone_number_id.',
    ...atLeastOneOf({ name: { type: 'string' }, prompt_id: { type: 'string' }, phone_number_id: { type: 'string' } }),
    example: { name: 'Customer Support Agent (EU)', prompt_id: 'prompt_support_v2' },
  });
export type UpdateAgentBody = z.input<typeof UpdateAgentBody>;

export const updateAgentRoute = createRoute({
  method: 'patch',
  path: '/users/{user_id}/agents/{agent_id}',
  operationId: 'updateAgent',
  summary: 'Update an agent',
  tags: ['Agents'],
  ...keyed(
    'agents:write',
    "Renaming or changing the prompt keeps the conversations; moving to another number archives that number's conversations of other agents (R2).",
  ),
  parameters: [IDEMPOTENCY_KEY],
  request: {
    params: AgentParams,
    body: { required: true, content: { 'application/json': { schema: UpdateAgentBody } } },
  },
  responses: {
    200: json(Agent, 'The updated agent', { replayable: true }),
    ...commonErrors,
    ...bodyErrors,
    ...conflict('Conflict: the target number already has an active agent, or the Idempotency-Key conflicts'),
  },
});

export function registerUpdateAgent(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...updateAgentRoute, middleware: guard(updateAgentRoute) }, (c) => {
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
