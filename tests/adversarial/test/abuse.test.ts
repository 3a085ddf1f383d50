import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Repositories, UnitOfWork } from '@gateway/core';
import { apiToken } from '@gateway/platform';
import { isLegacyError, isOrgError, startWorld, type World } from '../src/world';

/**
 * Abuse from one client: slow and oversized request heads and bodies, request-id and header
 * injection, many bad keys from one address, and key lookups that do not depend on how much of a
 * key an attacker has right. Slow clients are cut off by the server's own limits (here shortened
 * from the production 10 s and 30 s) while everyone else is served.
 */

const LIMITS = { headersTimeoutMs: 400, requestTimeoutMs: 1200 };
const AUTH_FAILURES = 15;
let world: World;

beforeAll(async () => {
  world = await startWorld({ limits: LIMITS, authFailuresPerMinute: AUTH_FAILURES });
});
afterAll(async () => {
  await world?.close();
});

interface RawConnection {
  socket: net.Socket;
  /** Everything the server sent. */
  received: () => string;
  /** Resolves when the server closed the connection. */
  closed: Promise<void>;
}

function connect(): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(world.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.once('connect', () => resolve({ socket, received: () => received, closed }));
    socket.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(`${what} did not happen within ${ms} ms`)))]);

/** A normal request on its own connection: the gateway keeps serving while others misbehave. */
async function healthy(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${world.port}/api/v1/agents?limit=1`, { headers: { authorization: `Bearer ${world.gw.tokens.full}` } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

describe('slow and oversized clients', () => {
  it('request heads trickled byte by byte are cut off at the head limit, while other clients are served', async () => {
    const slow = await Promise.all(Array.from({ length: 20 }, connect));
    const trickle = slow.map(async (c) => {
      c.socket.write('POST /api/v1/agents HTTP/1.1\r\nHost: gateway\r\n');
      for (let i = 0; i < 40 && !c.socket.destroyed; i++) {
        c.socket.write('X');
        await sleep(50);
      }
    });
    for (let i = 0; i < 5; i++) await healthy();
    await within(Promise.all(slow.map((c) => c.closed)), LIMITS.headersTimeoutMs * 8, 'closing every slow connection');
    for (const c of slow) expect(c.received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
    await trickle;
    await healthy();
  });

  it('a body trickled after its head is cut off at the request limit, answered 408 at most, and writes nothing', async () => {
    const before = await world.snapshot();
    const c = await connect();
    const body = JSON.stringify({ handle: 'trickled', name: 'Trickled', instructions: 'Never complete.' });
    c.socket.write(
      `POST /api/v1/agents HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${world.gw.tokens.full}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const trickle = (async () => {
      for (let i = 0; i < body.length - 1 && !c.socket.destroyed; i++) {
        c.socket.write(body[i]!);
        await sleep(60);
      }
    })();
    await healthy();
    await within(c.closed, LIMITS.requestTimeoutMs * 4, 'closing the trickling connection');
    expect(c.received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
    await trickle;
    expect(await world.snapshot()).toEqual(before);
  });

  it('an oversized head (64 KiB of headers) is refused with 431 and the connection closed; nothing else suffers', async () => {
    const c = await connect();
    c.socket.write(`GET /api/v1/agents HTTP/1.1\r\nHost: gateway\r\nX-Padding: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    await within(c.closed, 5_000, 'closing the connection');
    expect(c.received()).toMatch(/^HTTP\/1\.1 431 /);
    await healthy();
  });

  it('many connections that send nothing at all are closed, and the gateway serves throughout', async () => {
    const idle = await Promise.all(Array.from({ length: 50 }, connect));
    await healthy();
    await within(Promise.all(idle.map((c) => c.closed)), LIMITS.headersTimeoutMs * 8 + 6_000, 'closing idle connections');
    await healthy();
  });
});

describe('request-id and header injection', () => {
  const sendRaw = async (head: string): Promise<string> => {
    const c = await connect();
    c.socket.write(head);
    await within(
      (async () => {
        while (!/\r\n\r\n/.test(c.received()) && !c.socket.destroyed) await sleep(10);
      })(),
      5_000,
      'an answer',
    );
    c.socket.destroy();
    return c.received();
  };
  const requestIdOf = (raw: string) => /\r\nx-request-id: ([^\r\n]*)/i.exec(raw)?.[1];

  it.each([
    ['too long', 'a'.repeat(129)],
    ['with spaces', 'req 123'],
    ['with quotes and a backslash', 'a"b\\c'],
    ['with a log-line break attempt', 'abc\\n{"level":"error"}'],
    ['with a byte outside ASCII', 'r\xe9q'],
    ['HTML', '<script>alert(1)</script>'],
  ])('an X-Request-ID %s is replaced by one of the gateway’s own, never echoed', async (_name, value) => {
    const raw = await sendRaw(`GET /api/v1/agents?limit=1 HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${world.gw.tokens.full}\r\nX-Request-ID: ${value}\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    expect(requestIdOf(raw)).toMatch(/^req_[0-9a-f]{16}$/);
    expect(raw).not.toContain(value);
  });

  it('a well-formed X-Request-ID is adopted, in both dialects, and every log line stays one JSON object', async () => {
    const legacy = await sendRaw(`GET /v1/users/${world.gw.alice.id}/agents HTTP/1.1\r\nHost: gateway\r\nx-api-key: ${world.gw.tokens.full}\r\nX-Request-ID: trace.abc:123-XYZ_9\r\n\r\n`);
    expect(requestIdOf(legacy)).toBe('trace.abc:123-XYZ_9');
    expect(legacy).toMatch(/\r\nx-correlation-id: trace\.abc:123-XYZ_9\r\n/i);
    for (const line of world.logs.join('').split('\n').filter(Boolean)) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('a header line folded onto the next (obs-fold) or split by a bare CR is refused with 400, not passed on', async () => {
    for (const head of [
      `GET /api/v1/agents HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${world.gw.tokens.full}\r\nX-Request-ID: abc\r\n X-Injected: yes\r\n\r\n`,
      `GET /api/v1/agents HTTP/1.1\r\nHost: gateway\r\nX-Request-ID: abc\rX-Injected: yes\r\n\r\n`,
    ]) {
      const raw = await sendRaw(head);
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(raw.toLowerCase()).not.toContain('x-injected');
    }
    await healthy();
  });
});

describe('many bad keys from one address', () => {
  it(`after ${AUTH_FAILURES} failed authentications the address is 429 in each dialect's shape, a valid key still works, and no tried key is logged`, async () => {
    const tried: string[] = [];
    const answers: { dialect: 'legacy' | 'org'; status: number; body: unknown; retryAfter: string | undefined }[] = [];
    for (let i = 0; i < AUTH_FAILURES + 6; i++) {
      const token = apiToken();
      tried.push(token);
      const dialect = i % 2 === 0 ? 'legacy' : 'org';
      const res = await world.request(
        dialect === 'legacy'
          ? { method: 'GET', path: `/v1/users/${world.gw.alice.id}/agents`, headers: { 'x-api-key': token } }
          : { method: 'GET', path: '/api/v1/agents', headers: { authorization: `Bearer ${token}` } },
      );
      answers.push({ dialect, status: res.status, body: res.json, retryAfter: res.headers['retry-after'] as string | undefined });
    }
    expect(answers.slice(0, AUTH_FAILURES).map((a) => a.status)).toEqual(Array(AUTH_FAILURES).fill(401));
    for (const a of answers.slice(AUTH_FAILURES)) {
      expect(a.status).toBe(429);
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(a.dialect === 'legacy' ? isLegacyError(429, a.body) : isOrgError(429, a.body)).toBe(true);
    }
    for (const a of answers.slice(0, AUTH_FAILURES)) expect(a.dialect === 'legacy' ? isLegacyError(401, a.body) : isOrgError(401, a.body)).toBe(true);
    // The limit holds back failures, never a valid key from the same address.
    const valid = await world.request({ method: 'GET', path: '/api/v1/agents?limit=1', headers: { authorization: `Bearer ${world.gw.tokens.full}` } });
    expect(valid.status).toBe(200);
    const logged = world.logs.join('');
    for (const token of tried) expect(logged).not.toContain(token);
    expect(logged).not.toContain(world.gw.tokens.full);
  });
});

describe('key lookups', () => {
  /** A read-only unit of work that records every repository call and its arguments. */
  function spying(inner: UnitOfWork) {
    const calls: { call: string; args: unknown[] }[] = [];
    const wrap = (repos: Repositories): Repositories =>
      new Proxy(repos, {
        get: (target, name: string) =>
          new Proxy((target as unknown as Record<string, object>)[name]!, {
            get: (repo, method: string) => {
              const original = (repo as Record<string, unknown>)[method];
              if (typeof original !== 'function') return original;
              return (...args: unknown[]) => {
                calls.push({ call: `${name}.${method}`, args });
                return (original as (...a: unknown[]) => unknown).apply(repo, args);
              };
            },
          }),
      });
    const uow: UnitOfWork = { read: (work) => inner.read((repos) => work(wrap(repos))), write: (work) => inner.write((repos) => work(wrap(repos))) };
    return { uow, calls };
  }

  it('a token sharing 0, 8, 16, 24 or 31 of a real key’s characters takes the same path: one lookup by the SHA-256 of the whole token', async () => {
    const real = world.gw.tokens.full;
    const body = real.slice('sk_live_'.length);
    const paths: string[][] = [];
    for (const shared of [0, 8, 16, 24, 31]) {
      let guess = `sk_live_${body.slice(0, shared)}${apiToken().slice('sk_live_'.length + shared)}`;
      // A random tail of one character matches the real one once in 62 draws: then change it.
      if (guess === real) guess = `${guess.slice(0, -1)}${guess.endsWith('a') ? 'b' : 'a'}`;
      expect(guess).not.toBe(real);
      const spy = spying(world.gw.uow);
      expect(await world.gw.core.authenticate({ uow: spy.uow, token: guess })).toBeNull();
      paths.push(spy.calls.map((c) => c.call));
      expect(spy.calls).toEqual([{ call: 'apiKeys.findByHash', args: [createHash('sha256').update(guess).digest('hex')] }]);
      // Neither the token nor any piece of it reaches storage.
      expect(JSON.stringify(spy.calls.map((c) => c.args))).not.toContain(guess.slice(8, 16));
    }
    expect(new Set(paths.map((p) => p.join()))).toHaveProperty('size', 1);
  });
});
