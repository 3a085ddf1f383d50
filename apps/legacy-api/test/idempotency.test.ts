import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '@gateway/core';
import { agentsInDb, appWith, client, expectLegacyError, expectNoUnexpected, legacyWorld, type LegacyWorld } from './helpers';

/** Contract §2 and §7: Idempotency-Key on POST and PATCH, scoped to the key, stored with its write. */

let w: LegacyWorld;
beforeAll(async () => {
  w = await legacyWorld();
});
afterAll(() => w.gw.close());
afterEach(() => expectNoUnexpected(w.gw));

const withKey = (key: string, json: unknown, token?: string) => ({ json, headers: { 'Idempotency-Key': key }, ...(token ? { token } : {}) });

describe('Idempotency-Key', () => {
  it('a retry replays the stored status and body with Idempotent-Replayed: true and creates nothing', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '60000000001');
    const body = { phone_number_id: number.id, prompt_id: 'p', name: 'Once' };
    const first = await w.call('POST', `${w.paths.alice}/agents`, withKey('create-once', body));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const before = (await agentsInDb(w.gw)).length;

    const retry = await w.call('POST', `${w.paths.alice}/agents`, withKey('create-once', body));
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(retry.headers.get('x-correlation-id')).toBe(retry.headers.get('x-request-id'));
    expect((await agentsInDb(w.gw)).length).toBe(before);
    expect((await agentsInDb(w.gw)).filter((a) => a.phoneNumberId === number.id)).toHaveLength(1);
  });

  it('is scoped to the API key: the same Idempotency-Key under another key is another request', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '60000000002');
    const body = { phone_number_id: number.id, prompt_id: 'p', name: 'Scoped' };
    expect((await w.call('POST', `${w.paths.alice}/agents`, withKey('shared-key', body))).status).toBe(201);
    const otherKey = await w.call('POST', `${w.paths.alice}/agents`, withKey('shared-key', body, w.gw.tokens.alice));
    expectLegacyError(otherKey, 409, 'Conflict', 'Phone number already has an active agent');
  });

  it('the same key with another body, or another path, is 409', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '60000000003');
    const body = { phone_number_id: number.id, prompt_id: 'p', name: 'First body' };
    expect((await w.call('POST', `${w.paths.alice}/agents`, withKey('reused', body))).status).toBe(201);
    const reused = await w.call('POST', `${w.paths.alice}/agents`, withKey('reused', { ...body, name: 'Second body' }));
    expectLegacyError(reused, 409, 'Conflict', 'Idempotency-Key was already used with a different request');
    const elsewhere = await w.call('POST', `${w.paths.alice}/phone_numbers`, withKey('reused', { platform: 'whatsapp', meta_phone_number_id: '60000000099', access_token: 'EAAG-secret-x' }));
    expectLegacyError(elsewhere, 409, 'Conflict', 'Idempotency-Key was already used with a different request');
  });

  it('a malformed Idempotency-Key is 400 naming the header', async () => {
    for (const key of ['', 'k'.repeat(129), 'tab\there']) {
      const res = await w.call('POST', `${w.paths.alice}/agents`, withKey(key, { phone_number_id: 'x', prompt_id: 'p', name: 'n' }));
      expectLegacyError(res, 400, 'Validation error', 'Idempotency-Key must be 1-128 printable ASCII characters');
    }
    const longest = await w.call('POST', `${w.paths.alice}/agents`, withKey('k'.repeat(128), { phone_number_id: 'pn_unknown', prompt_id: 'p', name: 'n' }));
    expectLegacyError(longest, 404, 'Not Found', 'Phone number not found');
  });

  it('a non-2xx answer releases the key: the client fixes the request and retries with the same key', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '60000000004');
    const broken = await w.call('POST', `${w.paths.alice}/agents`, withKey('fix-me', { phone_number_id: number.id, name: 'Fixed' }));
    expectLegacyError(broken, 400, 'Validation error', 'prompt_id is required');
    const conflict = await w.call('POST', `${w.paths.alice}/agents`, withKey('fix-me', { phone_number_id: w.gw.numbers.bob.id, prompt_id: 'p', name: 'Fixed' }));
    expectLegacyError(conflict, 404, 'Not Found', 'Phone number not found');

    const fixed = await w.call('POST', `${w.paths.alice}/agents`, withKey('fix-me', { phone_number_id: number.id, prompt_id: 'p', name: 'Fixed' }));
    expect(fixed.status).toBe(201);
    const replay = await w.call('POST', `${w.paths.alice}/agents`, withKey('fix-me', { phone_number_id: number.id, prompt_id: 'p', name: 'Fixed' }));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(fixed.body);
  });

  it('PATCH replays too; DELETE and GET ignore the header', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '60000000005');
    const made = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: number.id, prompt_id: 'p', name: 'Patchy' } });
    const path = `${w.paths.alice}/agents/${made.body.agent_id}`;
    const renamed = await w.call('PATCH', path, withKey('rename', { name: 'Renamed once' }));
    expect(renamed.status).toBe(200);
    await w.call('PATCH', path, { json: { name: 'Renamed twice' } });
    const replay = await w.call('PATCH', path, withKey('rename', { name: 'Renamed once' }));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(renamed.body);
    expect((await w.call('GET', path)).body.name).toBe('Renamed twice');

    const phone = await w.call('PATCH', `${w.paths.alice}/phone_numbers/${number.id}`, withKey('phone-name', { display_name: 'Desk' }));
    expect(phone.status).toBe(200);
    const phoneReplay = await w.call('PATCH', `${w.paths.alice}/phone_numbers/${number.id}`, withKey('phone-name', { display_name: 'Desk' }));
    expect(phoneReplay.headers.get('idempotent-replayed')).toBe('true');

    const deleted = await w.call('DELETE', path, { headers: { 'Idempotency-Key': 'rename' } });
    expect(deleted.status).toBe(200);
    expect(deleted.headers.get('idempotent-replayed')).toBeNull();
  });

  it('20 concurrent identical requests under one Idempotency-Key create exactly one agent', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '60000000006');
    const body = { phone_number_id: number.id, prompt_id: 'p', name: 'Stampede' };
    const replies = await Promise.all(Array.from({ length: 20 }, () => w.call('POST', `${w.paths.alice}/agents`, withKey('stampede', body))));
    const created = replies.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of replies.filter((r) => r.status !== 201)) {
      expectLegacyError(r, 409, 'Conflict', 'A request with this Idempotency-Key is still being processed');
    }
    expect(new Set(created.map((r) => r.text)).size).toBe(1);
    expect((await agentsInDb(w.gw)).filter((a) => a.phoneNumberId === number.id)).toHaveLength(1);
  });

  it('the same key while the first request is still running is 409 "still being processed"', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const core: Core = {
      ...w.gw.core,
      createAgent: async (args) => {
        await gate;
        return w.gw.core.createAgent(args);
      },
    };
    const call = client(appWith(w.gw, { core }), w.gw.tokens.full);
    const number = await w.gw.addNumber(w.gw.alice.id, '60000000007');
    const body = { phone_number_id: number.id, prompt_id: 'p', name: 'Slow' };
    const slow = call('POST', `${w.paths.alice}/agents`, withKey('slow', body));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const busy = await call('POST', `${w.paths.alice}/agents`, withKey('slow', body));
    expectLegacyError(busy, 409, 'Conflict', 'A request with this Idempotency-Key is still being processed');
    release();
    expect((await slow).status).toBe(201);
    const after = await call('POST', `${w.paths.alice}/agents`, withKey('slow', body));
    expect(after.headers.get('idempotent-replayed')).toBe('true');
  });

  describe('a request that outlives its 60-second lock', () => {
    /** A core whose clock the test moves, and whose first createAgent waits for the gate. */
    function slowFirstCreate(failFirst = false) {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      // The first create has begun: its request holds the claim by then.
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let at = Date.now();
      let calls = 0;
      const clock = { now: () => at };
      const core: Core = {
        ...w.gw.core,
        deps: { ...w.gw.core.deps, clock },
        createAgent: async (args) => {
          if (++calls === 1) {
            entered();
            await gate;
            if (failFirst) throw new Error('the slow request fails late');
          }
          return w.gw.core.createAgent(args);
        },
      };
      return { call: client(appWith(w.gw, { core }), w.gw.tokens.full), release, inside, advance: (ms: number) => (at += ms) };
    }

    it('cannot complete the key its retry took over: its write rolls back and the retry is the one outcome', async () => {
      const { call, release, inside, advance } = slowFirstCreate();
      const slowNumber = await w.gw.addNumber(w.gw.alice.id, '60000000011');
      const retryNumber = await w.gw.addNumber(w.gw.alice.id, '60000000012');
      const slow = call('POST', `${w.paths.alice}/agents`, withKey('outlived', { phone_number_id: slowNumber.id, prompt_id: 'p', name: 'Slow' }));
      await inside;
      advance(61_000);
      const retryBody = { phone_number_id: retryNumber.id, prompt_id: 'p', name: 'Retry' };
      const retry = await call('POST', `${w.paths.alice}/agents`, withKey('outlived', retryBody));
      expect(retry.status).toBe(201);

      release();
      const late = await slow;
      expectLegacyError(late, 409, 'Conflict', 'A request with this Idempotency-Key is still being processed');
      const agents = await agentsInDb(w.gw);
      expect(agents.filter((a) => a.phoneNumberId === slowNumber.id)).toHaveLength(0);
      expect(agents.filter((a) => a.phoneNumberId === retryNumber.id)).toHaveLength(1);
      const replay = await call('POST', `${w.paths.alice}/agents`, withKey('outlived', retryBody));
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.text).toBe(retry.text);
    });

    it('cannot release the key its retry holds when it fails late', async () => {
      const { call, release, inside, advance } = slowFirstCreate(true);
      const number = await w.gw.addNumber(w.gw.alice.id, '60000000013');
      const body = { phone_number_id: number.id, prompt_id: 'p', name: 'Held' };
      const slow = call('POST', `${w.paths.alice}/agents`, withKey('outlived-fail', body));
      await inside;
      advance(61_000);
      const retry = await call('POST', `${w.paths.alice}/agents`, withKey('outlived-fail', body));
      expect(retry.status).toBe(201);
      release();
      expect((await slow).status).toBe(500);
      w.gw.unexpected.length = 0;
      // The retry's stored response is still the key's answer.
      const replay = await call('POST', `${w.paths.alice}/agents`, withKey('outlived-fail', body));
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.text).toBe(retry.text);
    });
  });
});
