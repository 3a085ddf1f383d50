import { afterEach, describe, expect, it } from 'vitest';
import { expectLegacyError, expectNoUnexpected, legacyWorld, type LegacyWorld } from './helpers';

/** Contract §2 and §7: per key, 100 a minute and 1000 an hour in the legacy dialect. */

const worlds: LegacyWorld[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) {
    expectNoUnexpected(w.gw);
    await w.gw.close();
  }
});

async function world(options: Parameters<typeof legacyWorld>[0]) {
  const w = await legacyWorld(options);
  worlds.push(w);
  return w;
}

describe('legacy rate limits', () => {
  // 101 requests in a row: seconds on a loaded CI machine (it once took over 5 s there), not a hang.
  it('every authenticated response carries X-RateLimit-*, RateLimit-Policy and RateLimit; the 101st request in a minute is 429 with Retry-After', async () => {
    const w = await world({ legacyLimits: { perMinute: 100, perHour: 1000 } });
    const before = Math.floor(Date.now() / 1000);
    const first = await w.call('GET', `${w.paths.alice}/agents`);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('100');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('99');
    const reset = Number(first.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThanOrEqual(before + 59);
    expect(reset).toBeLessThanOrEqual(before + 62);
    expect(first.headers.get('ratelimit-policy')).toBe('"minute";q=100;w=60, "hour";q=1000;w=3600');
    expect(first.headers.get('ratelimit')).toMatch(/^"minute";r=99;t=(59|60)$/);

    // Errors after authentication count and carry the headers too.
    const notFound = await w.call('GET', `${w.paths.alice}/agents/agent_000000000000000000000000`);
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-ratelimit-remaining')).toBe('98');

    let last = notFound;
    for (let i = 3; i <= 100; i++) {
      last = await w.call('GET', `${w.paths.alice}/agents`);
      expect(last.status).toBe(200);
    }
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(last.headers.get('ratelimit')).toMatch(/^"minute";r=0;t=\d+$/);

    const over = await w.call('GET', `${w.paths.alice}/agents`);
    expectLegacyError(over, 429, 'Too Many Requests', /^Rate limit exceeded\. Retry in \d+ seconds\.$/);
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(over.headers.get('ratelimit-policy')).toBe('"minute";q=100;w=60, "hour";q=1000;w=3600');

    // The limit is per key: another key of the same org is unaffected.
    const other = await w.call('GET', `${w.paths.alice}/agents`, { token: w.gw.tokens.alice });
    expect(other.status).toBe(200);
    expect(other.headers.get('x-ratelimit-remaining')).toBe('99');
  }, 20_000);

  it('the window with the fewest requests left is the one X-RateLimit-* describes', async () => {
    const w = await world({ legacyLimits: { perMinute: 100, perHour: 3 } });
    const res = await w.call('GET', `${w.paths.alice}/agents`);
    expect(res.headers.get('x-ratelimit-limit')).toBe('3');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(res.headers.get('ratelimit-policy')).toBe('"minute";q=100;w=60, "hour";q=3;w=3600');
    expect(res.headers.get('ratelimit')).toMatch(/^"hour";r=2;t=(3599|3600)$/);
    await w.call('GET', `${w.paths.alice}/agents`);
    await w.call('GET', `${w.paths.alice}/agents`);
    const over = await w.call('GET', `${w.paths.alice}/agents`);
    expectLegacyError(over, 429, 'Too Many Requests', /^Rate limit exceeded/);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(60);
  });

  it('failed authentications from one address are limited (429 with Retry-After) while a valid key still works', async () => {
    const w = await world({ authFailuresPerMinute: 3 });
    for (const token of [null, 'wrong', w.gw.tokens.unknown]) {
      expectLegacyError(await w.call('GET', `${w.paths.alice}/agents`, { token }), 401, 'Unauthorized', 'Invalid API key');
    }
    const limited = await w.call('GET', `${w.paths.alice}/agents`, { token: w.gw.tokens.revoked });
    expectLegacyError(limited, 429, 'Too Many Requests', /^Too many failed authentications\. Retry in \d+ seconds\.$/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('x-ratelimit-limit')).toBeNull();

    const valid = await w.call('GET', `${w.paths.alice}/agents`);
    expect(valid.status).toBe(200);
    expect((await w.call('GET', `${w.paths.alice}/agents`, { token: w.gw.tokens.expired })).status).toBe(429);
  });

  it('unauthenticated answers (401, unknown routes) carry no rate-limit headers', async () => {
    const w = await world({ legacyLimits: { perMinute: 100, perHour: 1000 } });
    const unauthenticated = await w.call('GET', `${w.paths.alice}/agents`, { token: null });
    expect(unauthenticated.headers.get('x-ratelimit-limit')).toBeNull();
    const unknown = await w.call('GET', '/v1/nowhere', { token: null });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-ratelimit-limit')).toBeNull();
  });
});
