import { createRoute, z } from '@hono/zod-openapi';
import { presentPhoneNumber } from '../../presenters';
import { reply } from '../../reply';
import { body, bodyErrors, commonErrors, conflict, json, optionalNullableString, optionalString, PhoneNumber } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';
import { PhoneNumberParams } from './get-phone-number';

export const AT_LEAST_ONE_PHONE_FIELD = 'At least one field (display_name, access_token) must be provided';

export const UpdatePhoneNumberBody = body({
  display_name: optionalNullableString('display_name').openapi({ description: 'null clears it' }),
  access_token: optionalString('access_token').openapi({ description: 'Write-only: replaces the stored token' }),
})
  .refine((b) => b.display_name !== undefined || b.access_token !== undefined, { error: AT_LEAST_ONE_PHONE_FIELD })
  .openapi({ example: { display_name: 'Support line (EU)' } });
export type UpdatePhoneNumberBody = z.input<typeof UpdatePhoneNumberBody>;

const route = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'patch',
    path: '/users/{user_id}/phone_numbers/{id}',
    summary: 'Update a phone number',
    description: 'Changes the display name or replaces the access token.',
    tags: ['Phone numbers'],
    security: [{ ApiKeyAuth: [] }],
    middleware: guards.withBody('phone_numbers:write'),
    request: {
      params: PhoneNumberParams,
      body: { required: true, content: { 'application/json': { schema: UpdatePhoneNumberBody } } },
    },
    responses: {
      200: json(PhoneNumber, 'The updated phone number'),
      ...commonErrors,
      ...bodyErrors,
      ...conflict('Conflict: the Idempotency-Key conflicts'),
    },
  });

export function registerUpdatePhoneNumber(app: LegacyApp, { services, guards }: RouteDeps) {
  app.openapi(route(guards), (c) => {
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    return reply(
      c,
      services,
      (ctx) =>
        services.core.updatePhoneNumber({
          ctx,
          id,
          input: {
            ...(input.display_name !== undefined ? { displayName: input.display_name } : {}),
            ...(input.access_token !== undefined ? { accessToken: input.access_token } : {}),
          },
        }),
      presentPhoneNumber,
      200,
    );
  });
}
