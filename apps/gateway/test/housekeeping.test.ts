import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '@gateway/http/testing';
import { startIdempotencySweep } from '../src/housekeeping';
import { createLogger } from '../src/logger';

let gw: TestGateway;
afterEach(async () => gw?.close());

const record = (key: string, expiresAt: number) => ({
  keyId: 'key_1',
  idempotencyKey: key,
  fingerprint: 'f',
  status: 201,
  body: '{}',
  lockedAt: 0,
  createdAt: 0,
  expiresAt,
});

describe('idempotency sweep', () => {
  it('deletes expired records and keeps live ones', async () => {
    gw = await createTestGateway();
    const now = 1_000_000;
    await gw.uow.write(async (repos) => {
      await repos.idempotency.claim(record('old', now - 1), 0);
      await repos.idempotency.claim(record('live', now + 60_000), 0);
    });
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const stop = startIdempotencySweep(gw.uow, { now: () => now }, logger, 60_000);
    await expect.poll(() => lines.some((l) => l.includes('"purged":1'))).toBe(true);
    stop();
    const again = await gw.uow.write((repos) => repos.idempotency.claim({ ...record('live', now + 60_000), createdAt: now, fingerprint: 'other' }, 0));
    expect(again.outcome).toBe('mismatch');
    expect(await gw.uow.write((repos) => repos.idempotency.purgeExpired(now))).toBe(0);
  });
});
