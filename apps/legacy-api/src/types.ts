import type { OpenAPIHono } from '@hono/zod-openapi';
import type { GatewayEnv, GatewayServices } from '@gateway/http';
import type { Guard } from './middleware';

/** The legacy app, mounted under `/v1`. */
export type LegacyApp = OpenAPIHono<GatewayEnv, {}, '/v1'>;

/** What every route's `register` receives. */
export interface RouteDeps {
  services: GatewayServices;
  guard: Guard;
}
