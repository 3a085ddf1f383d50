import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { answerJson, type GatewayEnv } from '@gateway/http';
import { METHOD_NOT_ALLOWED } from '../../openapi';
import { dataEnvelope, json, ok } from '../../schemas/common';
import type { OrgApp } from '../shared';

export const API_NAME = 'Agents Gateway API';
export const API_VERSION = '1.0.0';
export const ORG_BASE_PATH = '/api/v1';
export const ORG_DOCS_PATH = `${ORG_BASE_PATH}/openapi.json`;

export const ApiInfoSchema = z
  .object({ name: z.string(), version: z.string(), docs: z.string().openapi({ description: 'The OpenAPI 3.1 document of this API.' }) })
  .openapi('ApiInfo');

export const getApiInfoRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: 'getApiInfo',
  tags: ['Meta'],
  summary: 'API banner',
  description: 'Name, version and where the docs are. Needs no key.',
  security: [],
  responses: { 200: json(dataEnvelope(ApiInfoSchema), 'The banner', { keyless: true }), 405: METHOD_NOT_ALLOWED },
});

const banner = (c: Context<GatewayEnv>) => answerJson(c, ok(c, { name: API_NAME, version: API_VERSION, docs: ORG_DOCS_PATH }), 200);

/**
 * The banner answers `/api/v1` and `/api/v1/`. A route `/` under a base path is the bare base path,
 * so the slashed form is registered on the app without the base path (both share one router).
 */
export function registerGetApiInfo(app: OrgApp, root: OrgApp) {
  app.openapi(getApiInfoRoute, banner);
  root.get(`${ORG_BASE_PATH}/`, banner);
}
