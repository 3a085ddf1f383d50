import type { ClaimResult, IdempotencyRepository } from '@gateway/core';
import type { Connection } from '../connection';
import { idempotencyFromRow, idempotencyParams, type IdempotencyRow } from '../rows';

export function idempotencyRepository(conn: Connection): IdempotencyRepository {
  return {
    /**
     * One statement claims a new key or takes over an expired record or an abandoned lock; only when
     * it changed nothing is the existing record read to say why.
     */
    async claim(record, staleBefore): Promise<ClaimResult> {
      const { changes } = conn
        .stmt(
          `INSERT INTO idempotency_records (key_id, idempotency_key, fingerprint, status, body, locked_at, created_at, expires_at)
           VALUES (@key_id, @idempotency_key, @fingerprint, @status, @body, @locked_at, @created_at, @expires_at)
           ON CONFLICT (key_id, idempotency_key) DO UPDATE SET
             fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body,
             locked_at = excluded.locked_at, created_at = excluded.created_at, expires_at = excluded.expires_at
           WHERE idempotency_records.expires_at <= excluded.created_at
              OR (idempotency_records.status IS NULL AND idempotency_records.locked_at < @stale_before)`,
        )
        .run({ ...idempotencyParams(record), stale_before: staleBefore });
      if (changes === 1) return { outcome: 'claimed', fence: record.lockedAt };

      const row = conn
        .stmt('SELECT * FROM idempotency_records WHERE key_id = ? AND idempotency_key = ?')
        .get(record.keyId, record.idempotencyKey) as IdempotencyRow | undefined;
      // Unreachable inside a write (the conflict row is there); outside one, a concurrent release.
      if (row === undefined) return { outcome: 'in_flight' };
      if (row.fingerprint !== record.fingerprint) return { outcome: 'mismatch' };
      if (row.status !== null) return { outcome: 'replay', record: idempotencyFromRow(row) };
      return { outcome: 'in_flight' };
    },
    async complete(keyId, idempotencyKey, fence, status, body) {
      const { changes } = conn
        .stmt(
          `UPDATE idempotency_records SET status = ?, body = ?
           WHERE key_id = ? AND idempotency_key = ? AND locked_at = ? AND status IS NULL`,
        )
        .run(status, body, keyId, idempotencyKey, fence);
      return changes === 1;
    },
    async release(keyId, idempotencyKey, fence) {
      conn
        .stmt('DELETE FROM idempotency_records WHERE key_id = ? AND idempotency_key = ? AND locked_at = ? AND status IS NULL')
        .run(keyId, idempotencyKey, fence);
    },
    async purgeExpired(at) {
      return conn.stmt('DELETE FROM idempotency_records WHERE expires_at <= ?').run(at).changes;
    },
  };
}
