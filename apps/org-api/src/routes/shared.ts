import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Scope } from '@gateway/core';
import { authenticate, idempotency, jsonBody, requireScope, sequence, type GatewayEnv, type GatewayServices } from '@gateway/http';

export type OrgApp = OpenAPIHono<GatewayEnv>;

/** What a route file needs to register itself. */
export interface RouteDeps {
  services: GatewayServices;
  /** The middleware chain of an authenticated route, in the dialect's fixed order. */
  guard(route: { method: string; 'x-required-scope': Scope }): MiddlewareHandler<GatewayEnv>[];
}

/**
 * The OpenAPI fields of an authenticated operation: the bearer scheme, the scope it needs as
 * `x-required-scope` (which also picks the route's guard), and a description that says so.
 */
export function bearer<S extends Scope>(scope: S, description?: string) {
  const needs = `Requires an API key with the \`${scope}\` scope.`;
  return {
    security: [{ BearerAuth: [] }],
    'x-required-scope': scope,
    description: description === undefined ? needs : `${description}\n\n${needs}`,
  };
}

/**
 * authenticate → the app's one rate limiter → scope → (POST/PATCH) JSON body → Idempotency-Key,
 * run as one step of the route (`sequence`). The request schemas are checked after these, so a
 * caller without a key or a scope learns nothing about the shape of a request.
 */
export function guardFactory(services: GatewayServices, limiter: MiddlewareHandler<GatewayEnv>): RouteDeps['guard'] {
  const auth = authenticate(services, 'bearer');
  return (route) => {
    const chain = [auth, limiter, requireScope(route['x-required-scope'])];
    const method = route.method.toUpperCase();
    if (method === 'POST' || method === 'PATCH') chain.push(jsonBody(), idempotency(services));
    return [sequence(chain)];
  };
}

/**
 * respond() answers with a plain Response (it may store it for Idempotency-Key replays); its body
 * is typed by the route's `render`. This tells the typed handler so.
 */
export const rendered = (response: Promise<Response>) => response as unknown as Promise<never>;
