import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestContext, type GatewayEnv } from '../src';
import { requestHeader } from '../src/headers';

/** Raw header lines as Node's parser hands them over: names as sent, repeats kept. */
const RAW = ['Host', '127.0.0.1', 'Content-Type', 'application/json', 'X-Custom', 'a', 'x-custom', ' b ', 'Authorization', 'Bearer t1'];

describe('request headers read from Node', () => {
  it('give what Headers.get gives for the same lines: any case, repeats joined by ", ", whitespace trimmed', async () => {
    const expected = new Headers();
    for (let i = 0; i < RAW.length; i += 2) expected.append(RAW[i] as string, RAW[i + 1] as string);
    const app = new Hono<GatewayEnv>();
    app.use('*', requestContext({ dialect: 'gateway' }));
    app.get('/', (c) =>
      c.json({
        viaHono: ['content-type', 'X-CUSTOM', 'authorization', 'missing'].map((n) => c.req.header(n) ?? null),
        direct: ['content-type', 'x-custom', 'authorization', 'missing'].map((n) => requestHeader(c, n) ?? null),
      }),
    );
    // The request's own Headers say something else: what Node parsed is what counts.
    const res = await app.fetch(new Request('http://127.0.0.1/', { headers: { 'x-custom': 'other' } }), { incoming: { rawHeaders: RAW } });
    const want = ['content-type', 'x-custom', 'authorization', 'missing'].map((n) => expected.get(n));
    expect(await res.json()).toEqual({ viaHono: want, direct: want });
    expect(want).toEqual(['application/json', 'a, b', 'Bearer t1', null]);
  });

  it('without a Node request (app.request in tests), come from the Request itself', async () => {
    const app = new Hono<GatewayEnv>();
    app.use('*', requestContext({ dialect: 'gateway' }));
    app.get('/', (c) => c.json({ viaHono: c.req.header('x-custom'), direct: requestHeader(c, 'x-custom') }));
    const res = await app.request('/', { headers: { 'X-Custom': 'only' } });
    expect(await res.json()).toEqual({ viaHono: 'only', direct: 'only' });
  });
});
