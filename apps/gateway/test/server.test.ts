import { afterEach, describe, expect, it } from 'vitest';
import { listen, type FetchHandler, type HttpServer } from '../src/server';

/**
 * The server writes the answers that became ready in one turn of the event loop together, at the
 * turn's end (ADR 0012).
 */

let server: HttpServer | undefined;

afterEach(async () => {
  await server?.shutdown(1_000);
  server = undefined;
});

describe('answers written at the end of the turn', () => {
  it('holds a ready answer until the callbacks the turn had queued have run, then writes it whole', async () => {
    const sentWhenTheTurnRan: boolean[] = [];
    const fetch: FetchHandler = (request, bindings) => {
      // Queued while the request is handled: runs within this turn, before the turn is over.
      setImmediate(() => sentWhenTheTurnRan.push(bindings.outgoing.headersSent));
      return Response.json({ path: new URL(request.url).pathname }, { headers: { 'x-answer': 'ready' } });
    };
    server = await listen(fetch, { host: '127.0.0.1', port: 0 });

    const answer = await globalThis.fetch(`${server.url}/agents/1`);

    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-answer')).toBe('ready');
    expect(await answer.json()).toEqual({ path: '/agents/1' });
    expect(sentWhenTheTurnRan).toEqual([false]);
  });

  it('answers every request of a burst over separate connections, each with its own body', async () => {
    const fetch: FetchHandler = async (request) => {
      const n = new URL(request.url).searchParams.get('n');
      // Half the answers become ready a turn later than the rest.
      if (Number(n) % 2 === 1) await new Promise((resolve) => setImmediate(resolve));
      return Response.json({ n });
    };
    server = await listen(fetch, { host: '127.0.0.1', port: 0 });
    const base = server.url;

    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, n) => globalThis.fetch(`${base}/?n=${n}`, { headers: { connection: 'close' } }).then(async (r) => ({ status: r.status, body: await r.json() }))),
    );

    expect(answers).toEqual(Array.from({ length: 40 }, (_, n) => ({ status: 200, body: { n: String(n) } })));
  });

  it('still lets a thrown error reach node-server, which answers 500', async () => {
    const fetch: FetchHandler = () => {
      throw new Error('handler failed');
    };
    server = await listen(fetch, { host: '127.0.0.1', port: 0 });

    const answer = await globalThis.fetch(`${server.url}/`);

    expect(answer.status).toBe(500);
  });
});
