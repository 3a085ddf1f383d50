import { OpenAPIHono } from '@hono/zod-openapi';
import { requestContext, routeFallback, type GatewayEnv, type GatewayServices } from '@gateway/http';
import { legacyErrorHandler, legacyValidationHook } from './errors';
import { legacyGuard } from './middleware';
import { registerOpenApi } from './openapi';
import { registerCreateAgent } from './routes/agents/create-agent';
import { registerDeleteAgent } from './routes/agents/delete-agent';
import { registerGetAgent } from './routes/agents/get-agent';
import { registerListAgents } from './routes/agents/list-agents';
import { registerUpdateAgent } from './routes/agents/update-agent';
import { registerGetConversation } from './routes/conversations/get-conversation';
import { registerListConversations } from './routes/conversations/list-conversations';
import { registerListMessages } from './routes/conversations/list-messages';
import { registerAddPhoneNumber } from './routes/phone-numbers/add-phone-number';
import { registerDeletePhoneNumber } from './routes/phone-numbers/delete-phone-number';
import { registerGetPhoneNumber } from './routes/phone-numbers/get-phone-number';
import { registerListPhoneNumbers } from './routes/phone-numbers/list-phone-numbers';
import { registerUpdatePhoneNumber } from './routes/phone-numbers/update-phone-number';
import type { LegacyApp, RouteDeps } from './types';

export { LEGACY_API_VERSION } from './openapi';
export { legacyErrorHandler } from './errors';

/**
 * The legacy dialect, `/v1/users/{user_id}/…` (contract §3): legacy shapes and errors, nothing else.
 * `ownErrors: false` leaves the errors of its routes to the app it is mounted in, which must answer
 * them with {@link legacyErrorHandler} (the gateway's `onError` does, by dialect): Hono wraps every route of a
 * mounted app that has an error handler of its own in a composition of its own, which every request
 * paid for.
 */
export function createLegacyApp(services: GatewayServices, options: { ownErrors?: boolean } = {}): LegacyApp {
  const app = new OpenAPIHono<GatewayEnv>({ defaultHook: legacyValidationHook }).basePath('/v1');
  app.use('*', requestContext({ dialect: 'legacy', correlationHeader: true }));
  if (options.ownErrors !== false) app.onError(legacyErrorHandler(services));

  const deps: RouteDeps = { services, guard: legacyGuard(services) };
  for (const register of [
    registerCreateAgent,
    registerListAgents,
    registerGetAgent,
    registerUpdateAgent,
    registerDeleteAgent,
    registerAddPhoneNumber,
    registerListPhoneNumbers,
    registerGetPhoneNumber,
    registerUpdatePhoneNumber,
    registerDeletePhoneNumber,
    registerListConversations,
    registerGetConversation,
    registerListMessages,
  ]) {
    register(app, deps);
  }

  // The description of this API, unauthenticated; registered before the fallback so nothing shadows it.
  registerOpenApi(app);

  routeFallback(app);
  return app;
}
