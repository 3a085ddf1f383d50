import type { Context } from 'hono';
import type { Ctx } from '@gateway/core';
import type { GatewayEnv } from './request-context';
import type { GatewayServices } from './services';

/** The core's per-call context for a read: the request's actor and the gateway's unit of work. */
export function ctxFor(c: Context<GatewayEnv>, services: GatewayServices): Ctx {
  return { actor: c.get('actor'), uow: services.uow };
}
