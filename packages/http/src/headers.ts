import type { IncomingMessage } from 'node:http';
import type { Context, TypedResponse } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JSONParsed } from 'hono/utils/types';
import type { GatewayEnv } from './request-context';

/*
 * Headers on the hot paths without Web `Headers` objects. Reading a request header through Hono
 * builds a `Headers` of every header the client sent, and each header set through `c.header()`
 * goes into another one that @hono/node-server turns back into an object to write it: both are
 * validated per entry and were, with the garbage they leave, a tenth of an agent read. Here a
 * request header is read from Node's own parsed request, and the response headers of a request
 * are kept as a plain object that `jsonResponse` hands to the response as it is made.
 */

/** Responses made by `jsonResponse`: they carry the request's response headers already. */
const carrying = new WeakSet<Response>();

/**
 * A request header as `Headers.get` gives it (repeated fields joined by ", ", surrounding
 * whitespace trimmed), read from Node's request when there is one. `name` is lower case. The
 * gateway's own code asks `c.req.header(name)`, which `readHeadersFromNode` points here.
 */
export function requestHeader(c: Context<GatewayEnv>, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const raw = incoming?.rawHeaders;
  if (raw === undefined) return c.req.header(name);
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const field = raw[i] as string;
    if (field.length === name.length && field.toLowerCase() === name) {
      const v = trimHttpWhitespace(raw[i + 1] as string);
      value = value === undefined ? v : `${value}, ${v}`;
    }
  }
  return value;
}

/**
 * Points `c.req.header(name)` at `requestHeader` for this request (`requestContext` does it first
 * thing), for the gateway's code and Hono's alike: Hono's validators ask for Content-Type on every
 * request, and the first such call would build a `Headers` of everything the client sent.
 * `c.req.header()` (all of them) stays Hono's.
 */
export function readHeadersFromNode(c: Context<GatewayEnv>): void {
  if ((c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.rawHeaders === undefined) return;
  const req = c.req;
  const all = req.header.bind(req);
  req.header = ((name?: string) => (name === undefined ? all() : requestHeader(c, name.toLowerCase()))) as typeof req.header;
}

const HTTP_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

function trimHttpWhitespace(value: string): string {
  if (value === '') return value;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  const isSpace = (code: number) => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
  return isSpace(first) || isSpace(last) ? value.replace(HTTP_WHITESPACE, '') : value;
}

/** The headers this request's response will carry, by lower-case name (as `Headers` sends them). */
function responseHeaders(c: Context<GatewayEnv>): Record<string, string> {
  let headers = c.get('responseHeaders');
  if (headers === undefined) {
    headers = {};
    c.set('responseHeaders', headers);
  }
  return headers;
}

/**
 * Sets a header of this request's response, whichever way the response is made: use it instead of
 * `c.header()` anywhere before the handler has answered.
 */
export function setResponseHeader(c: Context<GatewayEnv>, name: string, value: string): void {
  responseHeaders(c)[name.toLowerCase()] = value;
}

/** A JSON response carrying the request's response headers, written as they are. */
export function jsonResponse(c: Context<GatewayEnv>, status: number, body: string): Response {
  const res = new Response(body, { status, headers: { ...responseHeaders(c), 'content-type': 'application/json' } });
  carrying.add(res);
  return res;
}

/** `answerJson` for a body already in JSON text, typed as the object it encodes. */
export function answerJsonText<T, U extends ContentfulStatusCode>(c: Context<GatewayEnv>, json: string, status: U) {
  return jsonResponse(c, status, json) as Response & TypedResponse<JSONParsed<T>, U, 'json'>;
}

/** `c.json` for a handler, typed the same way, made by `jsonResponse`. */
export function answerJson<T, U extends ContentfulStatusCode>(c: Context<GatewayEnv>, object: T, status: U) {
  return answerJsonText<T, U>(c, JSON.stringify(object), status);
}

const renderings = new WeakMap<(item: never) => unknown, WeakMap<object, string>>();

/**
 * `JSON.stringify(render(item))`, kept with the item when it is frozen: the storage freezes the
 * results it shares between reads while the data is unchanged (see the SQLite reader's cache), and
 * a frozen item renders the same every time. Any other item is rendered afresh.
 */
export function renderedJson<T extends object>(item: T, render: (item: T) => unknown): string {
  if (!Object.isFrozen(item)) return JSON.stringify(render(item));
  let byItem = renderings.get(render);
  if (byItem === undefined) {
    byItem = new WeakMap();
    renderings.set(render, byItem);
  }
  let json = byItem.get(item);
  if (json === undefined) {
    json = JSON.stringify(render(item));
    byItem.set(item, json);
  }
  return json;
}

/**
 * After the handler: gives a response made some other way (`c.json`, a sub-app's own `Response`)
 * the request's response headers, which win over its own. They are set on the response itself,
 * which keeps its body as it is (a copy would turn it into a stream sent without a length); only
 * a response whose headers cannot change is copied.
 */
export function applyResponseHeaders(c: Context<GatewayEnv>): void {
  const res = c.res;
  const ours = c.get('responseHeaders');
  if (ours === undefined || carrying.has(res)) return;
  try {
    for (const name in ours) res.headers.set(name, ours[name] as string);
  } catch {
    const headers = new Headers(res.headers);
    for (const name in ours) headers.set(name, ours[name] as string);
    // Unset first, so Hono's setter does not copy the old response's headers back over these.
    c.res = undefined;
    c.res = new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
  carrying.add(c.res);
}
