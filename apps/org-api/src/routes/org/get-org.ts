import { createRoute } from '@hono/zod-openapi';
import { ctxFor } from '@gateway/http';
import { answerOk, AUTH_ERRORS, dataEnvelope, errorResponses, json } from '../../schemas/common';
import { OrgSchema, toOrg } from '../../schemas/org';
import { bearer, type OrgApp, type RouteDeps } from '../shared';

export const getOrgRoute = createRoute({
  method: 'get',
  path: '/org',
  operationId: 'retrieveOrganization',
  tags: ['Organization'],
  summary: 'Retrieve the organization of the key',
  ...bearer('org:read', 'Its plan, the agent limit of that plan, and how many agents it has.'),
  responses: {
    200: json(dataEnvelope(OrgSchema), 'The organization'),
    ...errorResponses(...AUTH_ERRORS),
  },
});

export function registerGetOrg(app: OrgApp, { services, guard }: RouteDeps) {
  app.openapi({ ...getOrgRoute, middleware: guard(getOrgRoute) }, async (c) => {
    const summary = await services.core.getOrgSummary({ ctx: ctxFor(c, services) });
    return answerOk(c, summary, toOrg);
  });
}
