import { createRoute, z } from '@hono/zod-openapi';
import { keyed } from '../../openapi';
import { presentPhoneNumber } from '../../presenters';
import { reply } from '../../reply';
import { commonErrors, json, pathParam, PhoneNumber, UserParams } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const PhoneNumberParams = z.object({
  ...UserParams.shape,
  id: pathParam('id', 'The phone number (`pn_…`).'),
});

export const getPhoneNumberRoute = createRoute({
  method: 'get',
  path: '/users/{user_id}/phone_numbers/{id}',
  operationId: 'getPhoneNumber',
  summary: 'Get a phone number',
  tags: ['Phone numbers'],
  ...keyed('phone_numbers:read', 'One of the user\'s numbers, without its access token.'),
  request: { params: PhoneNumberParams },
  responses: { 200: json(PhoneNumber, 'The phone number'), ...commonErrors },
});

export function registerGetPhoneNumber(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...getPhoneNumberRoute, middleware: guard(getPhoneNumberRoute) }, (c) => {
    const { id } = c.req.valid('param');
    return reply(c, services, (ctx) => services.core.getPhoneNumber({ ctx, id }), presentPhoneNumber, 200);
  });
}
