import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGraphClient, GraphError } from '../../src/runtime/graph';
import { createModelClient, ModelError } from '../../src/runtime/model';
import { parseRetryAfter, retryDelay, retryDelays, withRetries } from '../../src/runtime/retry';
import { fakeGraphApi, fakeResponsesApi, type FakeGraphApi, type FakeResponsesApi } from '../fakes';

// Contract §8: "429, 5xx, timeouts and refused connections are retried with backoff (at most 5
// attempts within 2 minutes); any other 4xx fails the turn at once."

/** A clock that only moves when the code under test sleeps. */
function virtualTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const retryable = (retryAfterMs: number | null = null) => new ModelError({ kind: 'retryable', status: 503, code: null, reason: 'model API 503', retryAfterMs });
const fatal = () => new ModelError({ kind: 'fatal', status: 400, code: 'invalid_value', reason: 'model API 400 invalid_value' });

describe('retryDelay / retryDelays', () => {
  it('doubles from baseMs, with jitter between half and all of the step', () => {
    expect(retryDelays({ baseMs: 1_000, random: () => 0 })).toEqual([500, 1_000, 2_000, 4_000]);
    expect(retryDelays({ baseMs: 1_000, random: () => 0.999999 })).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(retryDelays({ baseMs: 1_000, random: () => 0.5 })).toEqual([750, 1_500, 3_000, 6_000]);
  });

  it('caps the computed delay at maxDelayMs', () => {
    expect(retryDelay(10, { baseMs: 1_000, maxDelayMs: 30_000, random: () => 0.999999 })).toBe(30_000);
  });

  it('takes a Retry-After as it is, without jitter', () => {
    expect(retryDelay(1, { retryAfterMs: 7_000, random: () => 0 })).toBe(7_000);
    expect(retryDelay(3, { retryAfterMs: 0 })).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const at = Date.parse('2026-03-01T12:00:00Z');
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '3' }), at)).toBe(3_000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '1.5' }), at)).toBe(1_500);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '3' }), at)).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Sun, 01 Mar 2026 12:00:10 GMT' }), at)).toBe(10_000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Sun, 01 Mar 2026 11:00:00 GMT' }), at)).toBe(0);
  });
  it('is null without a usable header', () => {
    expect(parseRetryAfter(new Headers(), at)).toBeNull();
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), at)).toBeNull();
    expect(parseRetryAfter(null, at)).toBeNull();
  });
});

describe('withRetries', () => {
  it('returns the first success and waits the backoff between attempts', async () => {
    const time = virtualTime();
    let calls = 0;
    const result = await withRetries(
      async (attempt) => {
        calls += 1;
        expect(attempt).toBe(calls);
        if (calls < 3) throw retryable();
        return 'answer';
      },
      { ...time, baseMs: 1_000, random: () => 0 },
    );
    expect(result).toBe('answer');
    expect(calls).toBe(3);
    expect(time.sleeps).toEqual([500, 1_000]);
  });

  it('makes at most 5 attempts, then throws the last error unchanged', async () => {
    const time = virtualTime();
    const errors: ModelError[] = [];
    const outcome = await withRetries(
      async () => {
        const error = retryable();
        errors.push(error);
        throw error;
      },
      { ...time, random: () => 0 },
    ).catch((e: unknown) => e);
    expect(errors).toHaveLength(5);
    expect(outcome).toBe(errors[4]);
    expect(time.sleeps).toHaveLength(4);
  });

  it('throws a fatal error at once, without waiting', async () => {
    const time = virtualTime();
    let calls = 0;
    const error = fatal();
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw error;
        },
        time,
      ),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(time.sleeps).toEqual([]);
  });

  it('does not retry an error without kind retryable (a plain Error, a Graph unknown or auth)', async () => {
    for (const error of [new Error('bug'), new GraphError({ kind: 'unknown', status: null, reason: 'meta did not answer in time' }), new GraphError({ kind: 'auth', status: 401, code: 190, reason: 'meta 190' })]) {
      let calls = 0;
      await expect(
        withRetries(async () => {
          calls += 1;
          throw error;
        }, virtualTime()),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('honours Retry-After instead of the computed delay', async () => {
    const time = virtualTime();
    let calls = 0;
    await withRetries(
      async () => {
        calls += 1;
        if (calls === 1) throw retryable(9_000);
        return 'ok';
      },
      { ...time, random: () => 0 },
    );
    expect(time.sleeps).toEqual([9_000]);
  });

  it('gives up rather than start an attempt later than withinMs after the first', async () => {
    const time = virtualTime();
    let calls = 0;
    const outcome = await withRetries(
      async () => {
        calls += 1;
        time.advance(50_000); // each attempt takes 50 s (a slow model call that times out)
        throw retryable();
      },
      { ...time, baseMs: 1_000, random: () => 0 },
    ).catch((e: unknown) => e);
    // Attempt 1 starts at 0 s, attempt 2 at 50.5 s, attempt 3 at 101.5 s; attempt 4 would start at
    // 153.5 s, past 120 s, so the third error is the last.
    expect(calls).toBe(3);
    expect(outcome).toBeInstanceOf(ModelError);
    expect(time.sleeps).toEqual([500, 1_000]);
  });

  it('gives up when a Retry-After points past the window', async () => {
    const time = virtualTime();
    let calls = 0;
    await withRetries(
      async () => {
        calls += 1;
        throw retryable(121_000);
      },
      time,
    ).catch(() => null);
    expect(calls).toBe(1);
    expect(time.sleeps).toEqual([]);
  });

  it('tells onRetry about each wait', async () => {
    const seen: unknown[] = [];
    let calls = 0;
    await withRetries(
      async () => {
        calls += 1;
        if (calls < 3) throw retryable();
        return 'ok';
      },
      { ...virtualTime(), random: () => 0, onRetry: ({ attempt, delayMs }) => seen.push({ attempt, delayMs }) },
    );
    expect(seen).toEqual([
      { attempt: 1, delayMs: 500 },
      { attempt: 2, delayMs: 1_000 },
    ]);
  });
});

describe('withRetries around the real clients and the fakes', () => {
  let api: FakeResponsesApi;
  let graph: FakeGraphApi;

  beforeAll(async () => {
    [api, graph] = await Promise.all([fakeResponsesApi(), fakeGraphApi()]);
  });
  afterAll(async () => {
    await Promise.all([api.close(), graph.close()]);
  });
  beforeEach(() => {
    api.reset();
    graph.reset();
  });

  // Long enough for a loaded machine to answer, short enough for the hanging call to end soon.
  const model = () => createModelClient({ apiKey: 'sk-test-retry', baseURL: api.baseURL, defaultModel: 'gpt-5-mini', timeoutMs: 1_500 });
  const turn = { instructions: 'Be brief.', includeSystemPrompt: false, channel: 'whatsapp' as const, history: [{ role: 'user' as const, content: 'Hi' }] };

  it('a 429 (Retry-After 2), a 500 and a timeout, then an answer: four identical requests, one reply', async () => {
    api.script({ status: 429, error: { code: 'rate_limit_exceeded' }, headers: { 'retry-after': '2' } }, { status: 500 }, { hang: true }, { text: 'Hello!' });
    const time = virtualTime();
    const reply = await withRetries(() => model().reply(turn), { sleep: time.sleep, random: () => 0 });
    expect(reply.text).toBe('Hello!');
    expect(api.requests).toHaveLength(4);
    expect(new Set(api.requests.map((r) => r.raw)).size).toBe(1);
    expect(time.sleeps).toEqual([2_000, 1_000, 2_000]);
  });

  it('a 400 is asked once', async () => {
    api.script({ status: 400, error: { code: 'invalid_value' } });
    await expect(withRetries(() => model().reply(turn), virtualTime())).rejects.toMatchObject({ kind: 'fatal', status: 400 });
    expect(api.requests).toHaveLength(1);
  });

  it('five 503s: five requests, then the error', async () => {
    api.setDefault({ status: 503 });
    try {
      await expect(withRetries(() => model().reply(turn), { ...virtualTime(), random: () => 0 })).rejects.toMatchObject({ kind: 'retryable', status: 503 });
      expect(api.requests).toHaveLength(5);
    } finally {
      api.setDefault({ text: 'Hello from the fake model.' });
    }
  });

  const send = () => createGraphClient({ baseUrl: graph.baseUrl, version: 'v24.0' }).sendText({ platform: 'whatsapp', metaPhoneNumberId: '106540352242922', accessToken: 'EAAG-retry-token', to: '4915112345678', text: 'Hi' });

  it('Graph 130429 then success: sent twice, one id', async () => {
    graph.script({ error: { code: 130429 } });
    const { metaMessageId } = await withRetries(send, { ...virtualTime(), random: () => 0 });
    expect(graph.requests).toHaveLength(2);
    expect(metaMessageId).toBe(graph.sentIds[0]);
  });

  it('Graph 131047 and 190 are sent once', async () => {
    graph.script({ error: { code: 131047 } }, { error: { code: 190, status: 401 } });
    await expect(withRetries(send, virtualTime())).rejects.toMatchObject({ kind: 'fatal', code: 131047 });
    await expect(withRetries(send, virtualTime())).rejects.toMatchObject({ kind: 'auth', code: 190 });
    expect(graph.requests).toHaveLength(2);
  });

  it('a Graph timeout is not resent', async () => {
    graph.script({ hang: true });
    const client = createGraphClient({ baseUrl: graph.baseUrl, version: 'v24.0', timeoutMs: 200 });
    await expect(
      withRetries(() => client.sendText({ platform: 'whatsapp', metaPhoneNumberId: '1', accessToken: 't', to: '2', text: 'Hi' }), virtualTime()),
    ).rejects.toMatchObject({ kind: 'unknown' });
    expect(graph.requests).toHaveLength(1);
  });
});
