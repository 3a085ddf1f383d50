import { createRoute, z } from '@hono/zod-openapi';
import { ctxFor } from '@gateway/http';
import { answerPage, AUTH_ERRORS, cursorParam, errorResponses, json, limitParam, listEnvelope } from '../../schemas/common';
import { PhoneNumberSchema, toPhoneNumber } from '../../schemas/phone-numbers';
import { bearer, type OrgApp, type RouteDeps } from '../shared';

export const PHONE_NUMBERS_DEFAULT_LIMIT = 25;

export const listPhoneNumbersRoute = createRoute({
  method: 'get',
  path: '/phone_numbers',
  operationId: 'listPhoneNumbers',
  tags: ['Phone numbers'],
  summary: 'List phone numbers',
  ...bearer('phone_numbers:read', 'Every phone number of the org, whichever user owns it, newest first, by cursor.'),
  request: { query: z.object({ cursor: cursorParam('phone_numbers'), limit: limitParam(PHONE_NUMBERS_DEFAULT_LIMIT) }) },
  responses: {
    200: json(listEnvelope(PhoneNumberSchema), 'A page of phone numbers'),
    ...errorResponses(...AUTH_ERRORS, 'validation_failed'),
  },
});

export function registerListPhoneNumbers(app: OrgApp, { services, guard }: RouteDeps) {
  app.openapi({ ...listPhoneNumbersRoute, middleware: guard(listPhoneNumbersRoute) }, async (c) => {
    const { cursor, limit } = c.req.valid('query');
    const result = await services.core.listPhoneNumbers({
      ctx: ctxFor(c, services),
      filter: {},
      page: { kind: 'keyset', limit: limit ?? PHONE_NUMBERS_DEFAULT_LIMIT, after: cursor ?? null },
    });
    return answerPage(c, 'phone_numbers', result, toPhoneNumber);
  });
}
