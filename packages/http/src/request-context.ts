import type { Context, MiddlewareHandler } from 'hono';
import type { Actor, ApiKey } from '@gateway/core';
import { requestId as newRequestId } from '@gateway/platform';
import { applyResponseHeaders, readHeadersFromNode, setResponseHeader } from './headers';
import type { IdempotencyState } from './idempotency';

export type Dialect = 'legacy' | 'org' | 'webhooks' | 'gateway';

/** Context variables every part of the gateway may set; the request log reads some of them. */
export interface GatewayVariables {
  requestId: string;
  dialect: Dialect;
  orgId: string | undefined;
  keyId: string | undefined;
  apiKey: ApiKey;
  actor: Actor;
  /** The parsed JSON body and its raw text, once `jsonBody` has read them. */
  body: unknown;
  rawBody: string;
  idempotency: IdempotencyState | undefined;
  /** The headers set for this request's response (see `setResponseHeader`). */
  responseHeaders: Record<string, string> | undefined;
}

export type GatewayEnv = { Variables: GatewayVariables };

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Adopts a well-formed incoming X-Request-ID or makes `req_` + 16 hex, and sets the headers every
 * response carries, whichever way it is made. Safe to apply twice (a dialect's app mounted in the
 * gateway's): the first id stays, and the inner one only names its dialect, as the outer one gives
 * the response its headers.
 */
export function requestContext(options: { dialect: Dialect; correlationHeader?: boolean }): MiddlewareHandler<GatewayEnv> {
  return function requestContextMiddleware(c, next) {
    const outer = c.get('requestId');
    c.set('dialect', options.dialect);
    if (outer !== undefined) {
      if (options.correlationHeader) setResponseHeader(c, 'X-Correlation-ID', outer);
      return next();
    }
    const id = adoptRequestId(c);
    setResponseHeader(c, 'X-Request-ID', id);
    setResponseHeader(c, 'Cache-Control', 'no-store');
    setResponseHeader(c, 'X-Content-Type-Options', 'nosniff');
    if (options.correlationHeader) setResponseHeader(c, 'X-Correlation-ID', id);
    return next().then(() => applyResponseHeaders(c));
  };
}

function adoptRequestId(c: Context<GatewayEnv>): string {
  readHeadersFromNode(c);
  const incoming = c.req.header('x-request-id');
  const id = incoming !== undefined && INCOMING_ID.test(incoming) ? incoming : newRequestId();
  c.set('requestId', id);
  return id;
}
