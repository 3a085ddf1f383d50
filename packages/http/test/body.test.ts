import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { isHttpProblem, jsonBody, MAX_BODY_BYTES, requestContext, type GatewayEnv } from '../src';
import { textIssues } from '../src/text';

/** The body reader alone, its problems rendered as `{kind, message, issues}`. */
function bodyApp() {
  const app = new Hono<GatewayEnv>();
  app.use('*', requestContext({ dialect: 'org' }));
  app.post('/echo', jsonBody(), async (c) => c.json({ body: c.get('body'), raw: c.get('rawBody'), again: await c.req.json() }));
  app.onError((error, c) => {
    if (isHttpProblem(error)) return c.json({ kind: error.kind, message: error.message, issues: error.issues }, 400);
    return c.json({ kind: 'internal', message: String(error) }, 500);
  });
  return app;
}

const post = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
  bodyApp().request('/echo', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('jsonBody', () => {
  it('a declared length over 1 MiB is 413 without reading a byte of the body', async () => {
    let pulled = false;
    // No queue to fill ahead: `pull` runs only when someone reads.
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled = true;
          controller.enqueue(new Uint8Array(1024));
        },
      },
      { highWaterMark: 0 },
    );
    const res = await bodyApp().request(
      new Request('http://gateway.test/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    );
    expect(await res.json()).toMatchObject({ kind: 'payload_too_large' });
    expect(pulled).toBe(false);
  });

  it('keeps the text it parsed, and the route reads the same value again', async () => {
    const raw = '{"name":"Café 😀 \\ud835\\udc9c"}';
    const res = await post(raw);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ body: { name: 'Café 😀 𝒜' }, raw, again: { name: 'Café 😀 𝒜' } });
  });

  it('bytes that are not UTF-8 are invalid_json, not replacement characters', async () => {
    for (const bad of [[0xff], [0xed, 0xa0, 0x80], [0xc3]]) {
      const res = await post(new Uint8Array([...Buffer.from('{"name":"'), ...bad, ...Buffer.from('"}')]));
      expect(await res.json()).toMatchObject({ kind: 'invalid_json', message: 'Request body is not valid JSON' });
    }
  });

  it('a lone surrogate anywhere is invalid_request with one issue per field, in document order', async () => {
    const res = await post('{"a":"\\ud800","b":[{"c":"ok"},{"c":"x\\udfff"}],"\\udbffkey":{"hidden":"\\ud800"},"d":{"\\udc00":1}}');
    expect(await res.json()).toEqual({
      kind: 'invalid_request',
      message: 'a must be valid Unicode text',
      issues: [
        { field: 'a', rule: 'invalid_unicode', message: 'a must be valid Unicode text' },
        { field: 'b.1.c', rule: 'invalid_unicode', message: 'b.1.c must be valid Unicode text' },
        { field: 'body', rule: 'invalid_unicode', message: 'Request body has a field name that is not valid Unicode text' },
        { field: 'd', rule: 'invalid_unicode', message: 'd has a field name that is not valid Unicode text' },
      ],
    });
  });
});

describe('textIssues', () => {
  it('finds nothing without a surrogate escape, and accepts every proper pair', () => {
    expect(textIssues({ a: 'plain', b: ['😀', '𝒜'] }, '{"a":"plain","b":["😀","𝒜"]}')).toEqual([]);
    expect(textIssues({ a: '😀' }, '{"a":"\\ud83d\\ude00"}')).toEqual([]);
  });

  it('names a bare string body "body", and walks 1 MiB of nesting without overflowing the stack', () => {
    expect(textIssues('\ud800', '"\\ud800"')).toEqual([{ field: 'body', rule: 'invalid_unicode', message: 'Request body must be valid Unicode text' }]);
    const depth = (MAX_BODY_BYTES - 8) / 2;
    const raw = `${'['.repeat(depth)}"\\ud800"${']'.repeat(depth)}`;
    const issues = textIssues(JSON.parse(raw), raw);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.field).toBe(Array.from({ length: depth }, () => '0').join('.'));
  });
});

describe('text outside the body cannot hold a lone surrogate', () => {
  it('a query string or path segment percent-encoding a surrogate is kept as its escapes, which are Unicode text', async () => {
    const app = new Hono();
    app.get('/things/:id', (c) => c.json({ id: c.req.param('id'), filter: c.req.query('filter') }));
    const res = await app.request('/things/%ED%A0%80?filter=x%ED%B0%80');
    const body = (await res.json()) as { id: string; filter: string };
    expect(body).toEqual({ id: '%ED%A0%80', filter: 'x%ED%B0%80' });
  });

  it('header values are byte strings: one holding a surrogate cannot even be built', () => {
    expect(() => new Headers({ 'x-filter': '\ud800' })).toThrow(TypeError);
  });
});
