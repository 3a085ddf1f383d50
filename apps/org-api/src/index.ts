import { Hono } from 'hono';
import { requestContext, type GatewayEnv, type GatewayServices } from '@gateway/http';

/** The org dialect, `/api/v1/…`. (Routes arrive with the org-dialect issue.) */
export function createOrgApp(_services: GatewayServices) {
  const app = new Hono<GatewayEnv>().basePath('/api/v1');
  app.use('*', requestContext({ dialect: 'org' }));
  return app;
}
