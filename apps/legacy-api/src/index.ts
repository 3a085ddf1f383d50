import { OpenAPIHono } from '@hono/zod-openapi';
import { requestContext, routeFallback, type GatewayEnv, type GatewayServices } from '@gateway/http';
import { legacyErrorHandler, legacyValidationHook } from './errors';
import { legacyGuards } from './middleware';
import { registerCreateAgent } from './routes/agents/create-agent';
import type { LegacyApp, RouteDeps } from './types';

export const LEGACY_API_VERSION = '1.0.0';

/** The legacy dialect, `/v1/users/{user_id}/…` (contract §3): legacy shapes and errors, nothing else. */
export function createLegacyApp(services: GatewayServices): LegacyApp {
  const app = new OpenAPIHono<GatewayEnv>({ defaultHook: legacyValidationHook }).basePath('/v1');
  app.use('*', requestContext({ dialect: 'legacy', correlationHeader: true }));
  app.onError(legacyErrorHandler(services));

  const deps: RouteDeps = { services, guards: legacyGuards(services) };
  registerCreateAgent(app, deps);

  app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKeyAuth', { type: 'apiKey', in: 'header', name: 'x-api-key' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Agents Gateway: legacy dialect', version: LEGACY_API_VERSION },
  });

  routeFallback(app);
  return app;
}
