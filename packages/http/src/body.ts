import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HttpProblem } from './problems';
import type { GatewayEnv } from './request-context';

export const MAX_BODY_BYTES = 1024 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json(?:\s*;.*)?$/i;

/**
 * Reads a JSON body: another media type is 415, more than 1 MiB is 413 (exactly 1 MiB is fine),
 * malformed JSON is 400. The parsed value and the raw text are kept for the handler and for the
 * idempotency fingerprint.
 */
export function jsonBody(): MiddlewareHandler<GatewayEnv> {
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new HttpProblem('payload_too_large', 'Request body must be at most 1 MiB');
    },
  });
  return async function jsonBodyMiddleware(c, next) {
    const type = c.req.header('content-type');
    if (type === undefined || !JSON_TYPE.test(type.trim())) {
      throw new HttpProblem('unsupported_media_type', 'Content-Type must be application/json');
    }
    await limit(c, async () => {
      const raw = await c.req.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new HttpProblem('invalid_json', 'Request body is not valid JSON');
      }
      c.set('rawBody', raw);
      c.set('body', parsed);
      await next();
    });
  };
}
