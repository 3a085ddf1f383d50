import { Hono } from 'hono';
import { requestContext, type GatewayEnv, type GatewayServices } from '@gateway/http';

/** The legacy dialect, `/v1/users/{user_id}/…`. (Routes arrive with the legacy-dialect issue.) */
export function createLegacyApp(_services: GatewayServices) {
  const app = new Hono<GatewayEnv>().basePath('/v1');
  app.use('*', requestContext({ dialect: 'legacy', correlationHeader: true }));
  return app;
}
