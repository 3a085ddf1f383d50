import type { MiddlewareHandler } from 'hono';
import { HttpProblem, isHttpProblem } from './problems';
import type { GatewayEnv } from './request-context';
import { textIssues } from './text';

export const MAX_BODY_BYTES = 1024 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json(?:\s*;.*)?$/i;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

const tooLarge = () => new HttpProblem('payload_too_large', 'Request body must be at most 1 MiB');

/**
 * The body's bytes, at most `MAX_BODY_BYTES`. A declared length over the limit is refused before a
 * byte is read; a body without one is refused as soon as it runs over. Either way the rest is left
 * unread, never cancelled (under Node that would destroy the connection before the 413 is sent):
 * the server decides what becomes of it (apps/gateway/src/server.ts).
 */
async function readBytes(request: Request, clientGone: () => boolean): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && !request.headers.has('transfer-encoding') && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // Under @hono/node-server the body stream is made on first use, from the Node request.
    if (request.body === null) return new Uint8Array(0);
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) throw tooLarge();
      chunks.push(value);
    }
  } catch (error) {
    // The client closed the connection before its body was read (the stream can no longer be made
    // or read): an incomplete request that nobody will see answered, not a server error.
    if (isHttpProblem(error)) throw error;
    if (clientGone()) throw new HttpProblem('invalid_json', 'Request body ended before it was complete');
    throw error;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Whether the Node request behind a Hono request has been aborted or destroyed (its client left). */
function clientGone(env: unknown): boolean {
  const incoming = (env as { incoming?: { destroyed?: boolean; readableAborted?: boolean } } | undefined)?.incoming;
  return incoming?.destroyed === true || incoming?.readableAborted === true;
}

/**
 * Reads a JSON body: another media type is 415, more than 1 MiB is 413 (exactly 1 MiB is fine),
 * bytes that are not UTF-8 or text that is not JSON are 400, and a string (or field name) that is
 * not Unicode text is a validation problem naming its field, so that what a 2xx acknowledges is
 * exactly what is stored and read back. The parsed value and the raw text are kept for the handler
 * and for the idempotency fingerprint; the route's schema validator reads the same text.
 */
export function jsonBody(): MiddlewareHandler<GatewayEnv> {
  return async function jsonBodyMiddleware(c, next) {
    const type = c.req.header('content-type');
    if (type === undefined || !JSON_TYPE.test(type.trim())) {
      throw new HttpProblem('unsupported_media_type', 'Content-Type must be application/json');
    }
    const bytes = await readBytes(c.req.raw, () => clientGone(c.env));
    let raw: string;
    let parsed: unknown;
    try {
      raw = UTF8.decode(bytes);
      parsed = JSON.parse(raw);
    } catch {
      throw new HttpProblem('invalid_json', 'Request body is not valid JSON');
    }
    const issues = textIssues(parsed, raw);
    if (issues.length > 0) throw new HttpProblem('invalid_request', issues[0]?.message ?? 'Invalid request', { issues });
    // The stream is spent: the route's validator reads these same bytes again.
    c.req.raw = new Request(c.req.raw, { body: bytes });
    c.set('rawBody', raw);
    c.set('body', parsed);
    await next();
  };
}
