import { createRoute, z } from '@hono/zod-openapi';
import { presentPhoneNumber } from '../../presenters';
import { reply } from '../../reply';
import { commonErrors, json, pathParam, PhoneNumber } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const PhoneNumberParams = z.object({
  user_id: pathParam('user_id', 'usr_abc123'),
  id: pathParam('id', 'pn_abc123'),
});

const route = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'get',
    path: '/users/{user_id}/phone_numbers/{id}',
    summary: 'Get a phone number',
    tags: ['Phone numbers'],
    security: [{ ApiKeyAuth: [] }],
    middleware: guards.base('phone_numbers:read'),
    request: { params: PhoneNumberParams },
    responses: { 200: json(PhoneNumber, 'The phone number'), ...commonErrors },
  });

export function registerGetPhoneNumber(app: LegacyApp, { services, guards }: RouteDeps) {
  app.openapi(route(guards), (c) => {
    const { id } = c.req.valid('param');
    return reply(c, services, (ctx) => services.core.getPhoneNumber({ ctx, id }), presentPhoneNumber, 200);
  });
}
