import type { IdempotencyRecord } from '@gateway/core';
import { describe, expect, it } from 'vitest';
import { MINUTE, T0, useStore, type OpenStore } from './fixtures';

const DAY = 24 * 60 * MINUTE;

/** A claim made at `at` by API key `key_1`, locked now and kept a day. */
const claimAt = (at: number, over: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
  keyId: 'key_1',
  idempotencyKey: 'idem-1',
  fingerprint: 'POST /agents {"name":"a"}',
  status: null,
  body: null,
  lockedAt: at,
  createdAt: at,
  expiresAt: at + DAY,
  ...over,
});

export function idempotencyContract(open: OpenStore) {
  describe('idempotency records', () => {
    const uow = useStore(open);
    /** Locks older than a minute before `at` count as abandoned. */
    const claim = (record: IdempotencyRecord) => uow().write((repos) => repos.idempotency.claim(record, record.createdAt - MINUTE));
    /** Completes the claim made at T0 (its fence). */
    const complete = (status: number, body: string, idempotencyKey = 'idem-1', fence = T0) =>
      uow().write((repos) => repos.idempotency.complete('key_1', idempotencyKey, fence, status, body));

    it('claims a new key; the same request again while it runs is in_flight', async () => {
      expect(await claim(claimAt(T0))).toEqual({ outcome: 'claimed', fence: expect.any(Number) });
      expect(await claim(claimAt(T0 + 1000))).toEqual({ outcome: 'in_flight' });
    });

    it('the same key with another fingerprint is a mismatch, running or completed', async () => {
      await claim(claimAt(T0));
      expect(await claim(claimAt(T0 + 1000, { fingerprint: 'POST /agents {"name":"b"}' }))).toEqual({ outcome: 'mismatch' });
      await complete(201, '{"id":"agent_1"}');
      expect(await claim(claimAt(T0 + 2000, { fingerprint: 'POST /agents {"name":"b"}' }))).toEqual({ outcome: 'mismatch' });
    });

    it('a completed key replays the stored status and body', async () => {
      const first = claimAt(T0);
      await claim(first);
      await complete(201, '{"id":"agent_1"}');
      expect(await claim(claimAt(T0 + 5 * MINUTE))).toEqual({
        outcome: 'replay',
        record: { ...first, status: 201, body: '{"id":"agent_1"}' },
      });
    });

    it('a lock older than staleBefore is abandoned and taken over, whatever its fingerprint', async () => {
      await claim(claimAt(T0));
      // Exactly at the limit the lock still holds; strictly older, it is taken over.
      expect(await uow().write((repos) => repos.idempotency.claim(claimAt(T0 + MINUTE), T0))).toEqual({ outcome: 'in_flight' });
      const takeover = claimAt(T0 + 2 * MINUTE, { fingerprint: 'another' });
      expect(await uow().write((repos) => repos.idempotency.claim(takeover, T0 + 1))).toEqual({ outcome: 'claimed', fence: expect.any(Number) });
      expect(await claim(claimAt(T0 + 2 * MINUTE + 1, { fingerprint: 'another' }))).toEqual({ outcome: 'in_flight' });
    });

    it('an expired record is taken over, even a completed one', async () => {
      await claim(claimAt(T0));
      await complete(200, '{}');
      expect(await claim(claimAt(T0 + DAY - 1))).toMatchObject({ outcome: 'replay' });
      expect(await claim(claimAt(T0 + DAY, { fingerprint: 'new request' }))).toEqual({ outcome: 'claimed', fence: expect.any(Number) });
      expect(await claim(claimAt(T0 + DAY + 1, { fingerprint: 'new request' }))).toEqual({ outcome: 'in_flight' });
    });

    it('release frees the key for the next request', async () => {
      await claim(claimAt(T0));
      await uow().write((repos) => repos.idempotency.release('key_1', 'idem-1', T0));
      expect(await claim(claimAt(T0 + 1000, { fingerprint: 'retry with another body' }))).toEqual({ outcome: 'claimed', fence: expect.any(Number) });
    });

    it('keys are scoped to the API key', async () => {
      await claim(claimAt(T0));
      expect(await claim(claimAt(T0, { keyId: 'key_2' }))).toEqual({ outcome: 'claimed', fence: expect.any(Number) });
      expect(await claim(claimAt(T0, { idempotencyKey: 'idem-2' }))).toEqual({ outcome: 'claimed', fence: expect.any(Number) });
    });

    it('purgeExpired deletes the records expired at the given time and says how many', async () => {
      await claim(claimAt(T0, { idempotencyKey: 'a', expiresAt: T0 + 10 }));
      await claim(claimAt(T0, { idempotencyKey: 'b', expiresAt: T0 + 20 }));
      await claim(claimAt(T0, { idempotencyKey: 'c', expiresAt: T0 + 30 }));
      expect(await uow().write((repos) => repos.idempotency.purgeExpired(T0 + 20))).toBe(2);
      expect(await uow().write((repos) => repos.idempotency.purgeExpired(T0 + 20))).toBe(0);
      // 'a' is gone, so a new claim wins at once; 'c' is still held.
      expect(await claim(claimAt(T0 + 1, { idempotencyKey: 'a', fingerprint: 'other' }))).toEqual({ outcome: 'claimed', fence: expect.any(Number) });
      expect(await claim(claimAt(T0 + 1, { idempotencyKey: 'c' }))).toEqual({ outcome: 'in_flight' });
    });

    it('the stored response commits with its write: a rolled-back write leaves the claim running', async () => {
      await claim(claimAt(T0));
      await expect(
        uow().write(async (repos) => {
          await repos.idempotency.complete('key_1', 'idem-1', T0, 201, '{"id":"agent_1"}');
          throw new Error('the write it describes failed');
        }),
      ).rejects.toThrow('the write it describes failed');
      expect(await claim(claimAt(T0 + 1000))).toEqual({ outcome: 'in_flight' });
    });

    it('a claim is fenced by its lockedAt: the claim is answered with it', async () => {
      expect(await claim(claimAt(T0))).toEqual({ outcome: 'claimed', fence: T0 });
    });

    it('a claim taken over as abandoned can neither complete nor release the key its retry holds', async () => {
      await claim(claimAt(T0));
      const retry = claimAt(T0 + 2 * MINUTE);
      expect(await claim(retry)).toEqual({ outcome: 'claimed', fence: T0 + 2 * MINUTE });
      // The slow first request finishes late: its completion matches nothing, its release frees nothing.
      expect(await complete(201, '{"id":"agent_slow"}', 'idem-1', T0)).toBe(false);
      await uow().write((repos) => repos.idempotency.release('key_1', 'idem-1', T0));
      expect(await claim(claimAt(T0 + 2 * MINUTE + 1))).toEqual({ outcome: 'in_flight' });
      // The retry's own fence still completes, and its response is the one replayed.
      expect(await complete(201, '{"id":"agent_retry"}', 'idem-1', T0 + 2 * MINUTE)).toBe(true);
      expect(await claim(claimAt(T0 + 3 * MINUTE))).toMatchObject({ outcome: 'replay', record: { body: '{"id":"agent_retry"}' } });
    });

    it('a completed claim is not completed twice and cannot be released', async () => {
      await claim(claimAt(T0));
      expect(await complete(201, '{"id":"agent_1"}')).toBe(true);
      expect(await complete(200, '{"id":"agent_2"}')).toBe(false);
      await uow().write((repos) => repos.idempotency.release('key_1', 'idem-1', T0));
      expect(await claim(claimAt(T0 + 1000))).toMatchObject({ outcome: 'replay', record: { status: 201, body: '{"id":"agent_1"}' } });
    });
  });
}
