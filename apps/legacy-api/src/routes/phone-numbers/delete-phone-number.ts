import { createRoute, z } from '@hono/zod-openapi';
import { keyed } from '../../openapi';
import { reply } from '../../reply';
import { commonErrors, conflict, json } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';
import { PhoneNumberParams } from './get-phone-number';

export const PhoneNumberDeleted = z.object({ id: z.string(), deleted: z.literal(true) }).openapi('PhoneNumberDeleted');

export const deletePhoneNumberRoute = createRoute({
  method: 'delete',
  path: '/users/{user_id}/phone_numbers/{id}',
  operationId: 'deletePhoneNumber',
  summary: 'Delete a phone number',
  tags: ['Phone numbers'],
  ...keyed('phone_numbers:delete', 'Soft delete. A number with an active agent cannot be deleted (R3): delete or move the agent first.'),
  request: { params: PhoneNumberParams },
  responses: {
    200: json(PhoneNumberDeleted, 'The phone number was deleted'),
    ...commonErrors,
    ...conflict('Conflict: the number has an active agent'),
  },
});

export function registerDeletePhoneNumber(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...deletePhoneNumberRoute, middleware: guard(deletePhoneNumberRoute) }, (c) => {
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
