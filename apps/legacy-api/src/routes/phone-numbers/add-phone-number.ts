import { createRoute, z } from '@hono/zod-openapi';
import { ACCESS_TOKEN_MAX, ACCESS_TOKEN_MIN, ACCESS_TOKEN_PATTERN, DISPLAY_NAME_MAX, META_ID_PATTERN, PLATFORMS } from '@gateway/core';
import { IDEMPOTENCY_KEY, keyed } from '../../openapi';
import { presentPhoneNumber } from '../../presenters';
import { reply } from '../../reply';
import { body, bodyErrors, commonErrors, conflict, json, NOT_BLANK, optionalNullableString, PhoneNumber, requiredString, UserParams } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const AddPhoneNumberBody = body({
  platform: requiredString('platform').openapi({ enum: [...PLATFORMS], example: 'whatsapp' }),
  meta_phone_number_id: requiredString('meta_phone_number_id').openapi({
    description: "Meta's id of the WhatsApp number or Instagram account: 5-32 digits",
    example: '106540352242922',
    pattern: META_ID_PATTERN.source,
  }),
  access_token: requiredString('access_token').openapi({
    description: `Write-only: stored encrypted, never returned. ${ACCESS_TOKEN_MIN}-${ACCESS_TOKEN_MAX} characters without spaces`,
    minLength: ACCESS_TOKEN_MIN,
    maxLength: ACCESS_TOKEN_MAX,
    pattern: ACCESS_TOKEN_PATTERN.source,
    writeOnly: true,
  }),
  display_name: optionalNullableString('display_name').openapi({
    example: '+1 555 0100',
    description: `At most ${DISPLAY_NAME_MAX} characters, not blank; null when not given`,
    maxLength: DISPLAY_NAME_MAX,
    pattern: NOT_BLANK,
  }),
  waba_id: optionalNullableString('waba_id').openapi({
    description: 'WhatsApp only (otherwise null or absent): 5-32 digits',
    example: '102290129340398',
    pattern: META_ID_PATTERN.source,
  }),
}).openapi({
  example: {
    platform: 'whatsapp',
    meta_phone_number_id: '106540352242922',
    access_token: 'EAAGm0PX4ZCpsBA-example',
    display_name: '+1 555 0100',
    waba_id: '102290129340398',
  },
});
export type AddPhoneNumberBody = z.input<typeof AddPhoneNumberBody>;
export type PhoneNumberResponse = z.infer<typeof PhoneNumber>;

export const addPhoneNumberRoute = createRoute({
  method: 'post',
  path: '/users/{user_id}/phone_numbers',
  operationId: 'addPhoneNumber',
  summary: 'Add a phone number',
  tags: ['Phone numbers'],
  ...keyed('phone_numbers:write', 'Adds a WhatsApp number or Instagram account owned by the user. The access token is never returned.'),
  parameters: [IDEMPOTENCY_KEY],
  request: {
    params: UserParams,
    body: { required: true, content: { 'application/json': { schema: AddPhoneNumberBody } } },
  },
  responses: {
    201: json(PhoneNumber, 'The phone number', { replayable: true }),
    ...commonErrors,
    ...bodyErrors,
    ...conflict('Conflict: a live number with this platform and Meta id exists, or the Idempotency-Key conflicts'),
  },
});

export function registerAddPhoneNumber(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...addPhoneNumberRoute, middleware: guard(addPhoneNumberRoute) }, (c) => {
    const input = c.req.valid('json');
    return reply(
      c,
      services,
      (ctx) =>
        services.core.addPhoneNumber({
          ctx,
          input: {
            platform: input.platform,
            metaPhoneNumberId: input.meta_phone_number_id,
            accessToken: input.access_token,
            displayName: input.display_name ?? null,
            wabaId: input.waba_id ?? null,
          },
        }),
      presentPhoneNumber,
      201,
    );
  });
}
