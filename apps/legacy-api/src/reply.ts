import type { Context, TypedResponse } from 'hono';
import type { JSONParsed } from 'hono/utils/types';
import type { Ctx } from '@gateway/core';
import { respond, type GatewayEnv, type GatewayServices } from '@gateway/http';

/**
 * Runs a use case through the HTTP layer's `respond` (which stores an idempotent response in the
 * write's own transaction) and answers with the legacy rendering, typed for the route's schema.
 */
export function reply<T, B, S extends 200 | 201>(
  c: Context<GatewayEnv, string, object>,
  services: GatewayServices,
  run: (ctx: Ctx) => Promise<T>,
  render: (result: T) => B,
  status: S,
): Promise<TypedResponse<JSONParsed<B>, S, 'json'>> {
  const response = respond(c as Context<GatewayEnv>, services, run, (result) => ({ status, body: render(result) }));
  return response as unknown as Promise<TypedResponse<JSONParsed<B>, S, 'json'>>;
}
