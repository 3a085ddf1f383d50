import { createRoute, z } from '@hono/zod-openapi';
import { presentPhoneNumber } from '../../presenters';
import { reply } from '../../reply';
import { body, bodyErrors, commonErrors, conflict, json, optionalNullableString, PhoneNumber, requiredString, UserParams } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const AddPhoneNumberBody = body({
  platform: requiredString('platform').openapi({ enum: ['whatsapp', 'instagram'], example: 'whatsapp' }),
  meta_phone_number_id: requiredString('meta_phone_number_id').openapi({
    description: "Meta's id of the WhatsApp number or Instagram account: 5-32 digits",
    example: '106540352242922',
  }),
  access_token: requiredString('access_token').openapi({ description: 'Write-only: stored encrypted, never returned' }),
  display_name: optionalNullableString('display_name').openapi({ example: '+1 555 0100' }),
  waba_id: optionalNullableString('waba_id').openapi({ description: 'WhatsApp only: 5-32 digits', example: '102290129340398' }),
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

const route = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'post',
    path: '/users/{user_id}/phone_numbers',
    summary: 'Add a phone number',
    description: 'Adds a WhatsApp number or Instagram account owned by the user. The access token is never returned.',
    tags: ['Phone numbers'],
    security: [{ ApiKeyAuth: [] }],
    middleware: guards.withBody('phone_numbers:write'),
    request: {
      params: UserParams,
      body: { required: true, content: { 'application/json': { schema: AddPhoneNumberBody } } },
    },
    responses: {
      201: json(PhoneNumber, 'The phone number'),
      ...commonErrors,
      ...bodyErrors,
      ...conflict('Conflict: a live number with this platform and Meta id exists, or the Idempotency-Key conflicts'),
    },
  });

export function registerAddPhoneNumber(app: LegacyApp, { services, guards }: RouteDeps) {
  app.openapi(route(guards), (c) => {
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
