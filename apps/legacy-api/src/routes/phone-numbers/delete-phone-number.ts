import { createRoute, z } from '@hono/zod-openapi';
import { reply } from '../../reply';
import { commonErrors, conflict, json } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';
import { PhoneNumberParams } from './get-phone-number';

export const PhoneNumberDeleted = z.object({ id: z.string(), deleted: z.literal(true) }).openapi('PhoneNumberDeleted');

const route = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'delete',
    path: '/users/{user_id}/phone_numbers/{id}',
    summary: 'Delete a phone number',
    description: 'Soft delete. A number with an active agent cannot be deleted (R3): delete or move the agent first.',
    tags: ['Phone numbers'],
    security: [{ ApiKeyAuth: [] }],
    middleware: guards.base('phone_numbers:delete'),
    request: { params: PhoneNumberParams },
    responses: {
      200: json(PhoneNumberDeleted, 'The phone number was deleted'),
      ...commonErrors,
      ...conflict('Conflict: the number has an active agent'),
    },
  });

export function registerDeletePhoneNumber(app: LegacyApp, { services, guards }: RouteDeps) {
  app.openapi(route(guards), (c) => {
    const { id } = c.req.valid('param');
    return reply(
      c,
      services,
      (ctx) => services.core.deletePhoneNumber({ ctx, id }),
      (phone) => ({ id: phone.id, deleted: true as const }),
      200,
    );
  });
}
