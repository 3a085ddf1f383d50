import { createRoute, z } from '@hono/zod-openapi';
import { PLATFORMS } from '@gateway/core';
import { keyed } from '../../openapi';
import { presentPagination, presentPhoneNumber } from '../../presenters';
import { reply } from '../../reply';
import { commonErrors, enumFilter, json, Pagination, pageQuery, PhoneNumber, UserParams } from '../../schemas';
import type { LegacyApp, RouteDeps } from '../../types';

export const ListPhoneNumbersQuery = z.object({ ...pageQuery, platform: enumFilter('platform', PLATFORMS as ['whatsapp', 'instagram']) });
export const PhoneNumberList = z.object({ phone_numbers: z.array(PhoneNumber), pagination: Pagination }).openapi('PhoneNumberList');
export type PhoneNumberListResponse = z.infer<typeof PhoneNumberList>;

export const listPhoneNumbersRoute = createRoute({
  method: 'get',
  path: '/users/{user_id}/phone_numbers',
  operationId: 'listPhoneNumbers',
  summary: 'List phone numbers',
  tags: ['Phone numbers'],
  ...keyed('phone_numbers:read', "The user's numbers, newest first."),
  request: { params: UserParams, query: ListPhoneNumbersQuery },
  responses: { 200: json(PhoneNumberList, 'A page of phone numbers'), ...commonErrors },
});

export function registerListPhoneNumbers(app: LegacyApp, { services, guard }: RouteDeps) {
  app.openapi({ ...listPhoneNumbersRoute, middleware: guard(listPhoneNumbersRoute) }, (c) => {
    const { limit, offset, platform } = c.req.valid('query');
    return reply(
      c,
      services,
      (ctx) =>
        services.core.listPhoneNumbers({
          ctx,
          filter: platform !== undefined ? { platform } : {},
          page: { kind: 'offset', limit, offset },
        }),
      (page) => ({ phone_numbers: page.items.map(presentPhoneNumber), pagination: presentPagination(page, limit, offset) }),
      200,
    );
  });
}
