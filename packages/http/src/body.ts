import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Context, MiddlewareHandler } from 'hono';
import { HttpProblem } from './problems';
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
function readBytes(c: Context<GatewayEnv>): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && c.req.header('transfer-encoding') === undefined && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
  const incoming = nodeRequest(c.env);
  return incoming === null ? readStream(c.req.raw) : readIncoming(incoming);
}

/**
 * Straight from Node's request, the way the server received it: no web stream in between, which
 * cost a create more than everything else it does put together.
 */
function readIncoming(incoming: IncomingMessage): Promise<Uint8Array> {
  if (incoming.complete && incoming.readableLength === 0) return Promise.resolve(new Uint8Array(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onGone);
      incoming.off('close', onGone);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        settle();
        incoming.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      settle();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    // The client closed the connection before its body was complete: an incomplete request that
    // nobody will see answered, not a server error.
    const onGone = () => {
      settle();
      reject(incomplete());
    };
    if (incoming.destroyed || incoming.readableAborted) {
      reject(incomplete());
      return;
    }
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', onGone);
    incoming.once('close', onGone);
  });
}

const incomplete = () => new HttpProblem('invalid_json', 'Request body ended before it was complete');

/** A web request's body (`app.request()` in tests, or any other runtime than Node's server). */
async function readStream(request: Request): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The Node request behind a Hono request, when the gateway's server is the one serving it. */
function nodeRequest(env: unknown): IncomingMessage | null {
  const incoming = (env as { incoming?: unknown } | undefined)?.incoming;
  return incoming instanceof Readable ? (incoming as IncomingMessage) : null;
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
    const bytes = await readBytes(c);
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
    // The body is spent: the route's validator reads this same text (Hono's request keeps it).
    // Its declared type says text, but Hono keeps the promise of it, as `raw.text()` returns.
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(raw);
    // And the route's JSON validator gets this parse rather than making its own (zod only reads it).
    c.req.json = (() => Promise.resolve(parsed)) as typeof c.req.json;
    c.set('rawBody', raw);
    c.set('body', parsed);
    await next();
  };
}
