import { createRoute, z } from '@hono/zod-openapi';
import { ACCESS_TOKEN_MAX, ACCESS_TOKEN_MIN, ACCESS_TOKEN_PATTERN, DISPLAY_NAME_MAX } from '@gateway/core';
import { IDEMPOTENCY_KEY, keyed } from '../../openapi';
import { presentPhoneNumber } from '../../presenters';
import { reply } from '../../reply';
import { atLeastOneOf, body, bodyErrors, commonErrors, conflict, json, NOT_BLANK, optionalNullableString, optionalString, PhoneNumber } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';
import { PhoneNumberParams } from './get-phone-number';

export const AT_LEAST_ONE_PHONE_FIELD = 'At least one field (display_name, access_token) must be provided';

export const UpdatePhoneNumberBody = body({
  display_name: optionalNullableString('display_name').openapi({
    description: `At most ${DISPLAY_NAME_MAX} characters, not blank; null clears it`,
    maxLength: DISPLAY_NAME_MAX,
    pattern: NOT_BLANK,
  }),
  access_token: optionalString('access_token').openapi({
    description: `Write-only: replaces the stored token. ${ACCESS_TOKEN_MIN}-${ACCESS_TOKEN_MAX} characters without spaces`,
    minLength: ACCESS_TOKEN_MIN,
    maxLength: ACCESS_TOKEN_MAX,
    pattern: ACCESS_TOKEN_PATTERN.source,
    writeOnly: true,
  }),
})
  .refine((b) => b.display_name !== undefined || b.access_token !== undefined, { error: AT_LEAST_ONE_PHONE_FIELD })
  .openapi({
    description: 'At least one of display_name, access_token.',
    ...atLeastOneOf({ display_name: { type: ['string', 'null'] }, access_token: { type: 'string' } }),
    example: { display_name: 'Support line (EU)' },
  });
export type UpdatePhoneNumberBody = z.input<typeof UpdatePhoneNumberBody>;

export const updatePhoneNumberRoute = createRoute({
  method: 'patch',
  path: '/users/{user_id}/phone_numbers/{id}',
  operationId: 'updatePhoneNumber',
  summary: 'Update a phone number',
  tags: ['Phone numbers'],
  ...keyed('phone_numbers:write', 'Changes the display name or replaces the access token.'),
  parameters: [IDEMPOTENCY_KEY],
  request: {
    params: PhoneNumberParams,
    body: { required: true, content: { 'application/json': { schema: UpdatePhoneNumberBody } } },
  },
  responses: {
    200: json(PhoneNumber, 'The updated phone number', { replayable: true }),
    ...commonErrors,
    ...bodyErrors,
    ...conflict('Conflict: the Idempotency-Key conflicts'),
  },
});

export function registerUpdatePhoneNumber(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...updatePhoneNumberRoute, middleware: guard(updatePhoneNumberRoute) }, (c) => {
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
