import { Hono, type MiddlewareHandler } from 'hono';
import { describe, expect, it } from 'vitest';
import { sequence } from '../src';

type Env = { Variables: { trail: string[] } };

/** A member that records itself before and after the rest of the route. */
const member = (name: string): MiddlewareHandler<Env> =>
  async function record(c, next) {
    c.get('trail').push(`${name} in`);
    await next();
    c.get('trail').push(`${name} out: ${c.res.status}`);
  };

type Handler = (c: Parameters<MiddlewareHandler<Env>>[0]) => Response;

function appWith(members: MiddlewareHandler<Env>[], handler: Handler = (c) => c.json({ id: c.req.param('id') }, 201)) {
  const trails: string[][] = [];
  const app = new Hono<Env>();
  app.use('*', async (c, next) => {
    const trail: string[] = [];
    trails.push(trail);
    c.set('trail', trail);
    await next();
  });
  app.get('/things/:id', sequence(members), handler);
  app.onError((error, c) => c.json({ error: error.message }, 418));
  return { app, trails };
}

describe('sequence: several middleware as one step of a route', () => {
  it('runs its members in order around the route handler, which still reads the path parameters', async () => {
    const { app, trails } = appWith([member('a'), member('b'), member('c')]);
    const res = await app.request('/things/t1');
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: 't1' });
    expect(trails[0]).toEqual(['a in', 'b in', 'c in', 'c out: 201', 'b out: 201', 'a out: 201']);
  });

  it('a member may read the path parameters too', async () => {
    const { app } = appWith([member('a'), async (c) => c.json({ seen: c.req.param('id') }, 202)]);
    const res = await app.request('/things/t2');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ seen: 't2' });
  });

  it('a response a member returns is the answer, and the members before it see it in c.res', async () => {
    const { app, trails } = appWith([member('a'), member('b'), async (c) => c.json({ replayed: true }, 200), member('never')]);
    const res = await app.request('/things/t3');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ replayed: true });
    expect(trails[0]).toEqual(['a in', 'b in', 'b out: 200', 'a out: 200']);
  });

  it("an error a member throws is answered by the app's error handler, and nothing after it runs", async () => {
    const thrower: MiddlewareHandler<Env> = () => {
      throw new Error('no scope');
    };
    let handled = false;
    const { app, trails } = appWith([member('a'), thrower, member('never')], (c) => {
      handled = true;
      return c.json({}, 201);
    });
    const res = await app.request('/things/t4');
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ error: 'no scope' });
    expect(handled).toBe(false);
    expect(trails[0]).toEqual(['a in']);
  });

  it("an error of the route's handler is already an answer when the members see it", async () => {
    const { app, trails } = appWith([member('a')], () => {
      throw new Error('handler failed');
    });
    const res = await app.request('/things/t5');
    expect(res.status).toBe(418);
    expect(trails[0]).toEqual(['a in', 'a out: 418']);
  });
});
