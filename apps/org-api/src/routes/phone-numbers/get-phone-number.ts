import { createRoute } from '@hono/zod-openapi';
import { normalizeId } from '@gateway/core';
import { ctxFor } from '@gateway/http';
import { answerOk, AUTH_ERRORS, dataEnvelope, errorResponses, json, pathId } from '../../schemas/common';
import { PhoneNumberSchema, toPhoneNumber } from '../../schemas/phone-numbers';
import { bearer, type OrgApp, type RouteDeps } from '../shared';

export const getPhoneNumberRoute = createRoute({
  method: 'get',
  path: '/phone_numbers/{id}',
  operationId: 'retrievePhoneNumber',
  tags: ['Phone numbers'],
  summary: 'Retrieve a phone number',
  ...bearer('phone_numbers:read', 'A number of the org, with the user who owns it; never its access token.'),
  request: { params: pathId('`pn_…` or the bare 24 hex digits.') },
  responses: {
    200: json(dataEnvelope(PhoneNumberSchema), 'The phone number'),
    ...errorResponses(...AUTH_ERRORS, 'phone_number_not_found', 'not_found'),
  },
});

export function registerGetPhoneNumber(app: OrgApp, { services, guard }: RouteDeps) {
  app.openapi({ ...getPhoneNumberRoute, middleware: guard(getPhoneNumberRoute) }, async (c) => {
    const raw = c.req.valid('param').id;
    const phone = await services.core.getPhoneNumber({ ctx: ctxFor(c, services), id: normalizeId('pn', raw) ?? raw });
    return answerOk(c, phone, toPhoneNumber);
  });
}
