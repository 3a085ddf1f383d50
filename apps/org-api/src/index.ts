import { OpenAPIHono } from '@hono/zod-openapi';
import { rateLimit, requestContext, routeFallback, type GatewayEnv, type GatewayServices } from '@gateway/http';
import { orgErrorHandler, validationHook } from './errors';
import { registerOpenApi } from './openapi';
import { registerCreateAgent } from './routes/agents/create-agent';
import { registerDeleteAgent } from './routes/agents/delete-agent';
import { registerGetAgent } from './routes/agents/get-agent';
import { registerListAgents } from './routes/agents/list-agents';
import { registerUpdateAgent } from './routes/agents/update-agent';
import { registerGetConversation } from './routes/conversations/get-conversation';
import { registerListConversations } from './routes/conversations/list-conversations';
import { registerListMessages } from './routes/conversations/list-messages';
import { API_NAME, API_VERSION, ORG_BASE_PATH, registerGetApiInfo } from './routes/meta/get-api-info';
import { registerGetOrg } from './routes/org/get-org';
import { registerGetPhoneNumber } from './routes/phone-numbers/get-phone-number';
import { registerListPhoneNumbers } from './routes/phone-numbers/list-phone-numbers';
import { guardFactory, type OrgApp, type RouteDeps } from './routes/shared';

/**
 * The org dialect, `/api/v1/…`: org shapes and the org error registry over the shared core.
 * `ownErrors: false` leaves the errors of its routes to the app it is mounted in, which must answer
 * them with {@link orgErrorHandler} (the gateway's `onError` does, by dialect): Hono wraps every route of a
 * mounted app that has an error handler of its own in a composition of its own, which every request
 * paid for.
 */
export function createOrgApp(services: GatewayServices, options: { ownErrors?: boolean } = {}): OrgApp {
  const root: OrgApp = new OpenAPIHono<GatewayEnv>({ defaultHook: validationHook });
  const app: OrgApp = root.basePath(ORG_BASE_PATH);
  app.use('*', requestContext({ dialect: 'org' }));
  if (options.ownErrors !== false) app.onError(orgErrorHandler(services));

  const limiter = rateLimit(services.rateLimits.org, { keyPrefix: 'org', limiters: services.limiters });
  const deps: RouteDeps = { services, guard: guardFactory(services, limiter) };

  registerGetApiInfo(app, root);
  registerListAgents(app, deps);
  registerCreateAgent(app, deps);
  registerGetAgent(app, deps);
  registerUpdateAgent(app, deps);
  registerDeleteAgent(app, deps);
  registerListPhoneNumbers(app, deps);
  registerGetPhoneNumber(app, deps);
  registerListConversations(app, deps);
  registerGetConversation(app, deps);
  registerListMessages(app, deps);
  registerGetOrg(app, deps);

  // The description of this API, unauthenticated; registered before the fallback so nothing shadows it.
  registerOpenApi(app, { name: API_NAME, version: API_VERSION });

  routeFallback(app);
  return app;
}

export type { OrgApp } from './routes/shared';
export { ORG_BASE_PATH } from './routes/meta/get-api-info';
export { orgErrorHandler } from './errors';
