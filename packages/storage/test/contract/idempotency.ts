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
    const complete = (status: number, body: string, idempotencyKey = 'idem-1') =>
      uow().write((repos) => repos.idempotency.complete('key_1', idempotencyKey, status, body));

    it('claims a new key; the same request again while it runs is in_flight', async () => {
      expect(await claim(claimAt(T0))).toEqual({ outcome: 'claimed' });
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
      expect(await uow().write((repos) => repos.idempotency.claim(takeover, T0 + 1))).toEqual({ outcome: 'claimed' });
      expect(await claim(claimAt(T0 + 2 * MINUTE + 1, { fingerprint: 'another' }))).toEqual({ outcome: 'in_flight' });
    });

    it('an expired record is taken over, even a completed one', async () => {
      await claim(claimAt(T0));
      await complete(200, '{}');
      expect(await claim(claimAt(T0 + DAY - 1))).toMatchObject({ outcome: 'replay' });
      expect(await claim(claimAt(T0 + DAY, { fingerprint: 'new request' }))).toEqual({ outcome: 'claimed' });
      expect(await claim(claimAt(T0 + DAY + 1, { fingerprint: 'new request' }))).toEqual({ outcome: 'in_flight' });
    });

    it('release frees the key for the next request', async () => {
      await claim(claimAt(T0));
      await uow().write((repos) => repos.idempotency.release('key_1', 'idem-1'));
      expect(await claim(claimAt(T0 + 1000, { fingerprint: 'retry with another body' }))).toEqual({ outcome: 'claimed' });
    });

    it('keys are scoped to the API key', async () => {
      await claim(claimAt(T0));
      expect(await claim(claimAt(T0, { keyId: 'key_2' }))).toEqual({ outcome: 'claimed' });
      expect(await claim(claimAt(T0, { idempotencyKey: 'idem-2' }))).toEqual({ outcome: 'claimed' });
    });

    it('purgeExpired deletes the records expired at the given time and says how many', async () => {
      await claim(claimAt(T0, { idempotencyKey: 'a', expiresAt: T0 + 10 }));
      await claim(claimAt(T0, { idempotencyKey: 'b', expiresAt: T0 + 20 }));
      await claim(claimAt(T0, { idempotencyKey: 'c', expiresAt: T0 + 30 }));
      expect(await uow().write((repos) => repos.idempotency.purgeExpired(T0 + 20))).toBe(2);
      expect(await uow().write((repos) => repos.idempotency.purgeExpired(T0 + 20))).toBe(0);
      // 'a' is gone, so a new claim wins at once; 'c' is still held.
      expect(await claim(claimAt(T0 + 1, { idempotencyKey: 'a', fingerprint: 'other' }))).toEqual({ outcome: 'claimed' });
      expect(await claim(claimAt(T0 + 1, { idempotencyKey: 'c' }))).toEqual({ outcome: 'in_flight' });
    });

    it('the stored response commits with its write: a rolled-back write leaves the claim running', async () => {
      await claim(claimAt(T0));
      await expect(
        uow().write(async (repos) => {
          await repos.idempotency.complete('key_1', 'idem-1', 201, '{"id":"agent_1"}');
          throw new Error('the write it describes failed');
        }),
      ).rejects.toThrow('the write it describes failed');
      expect(await claim(claimAt(T0 + 1000))).toEqual({ outcome: 'in_flight' });
    });
  });
}
