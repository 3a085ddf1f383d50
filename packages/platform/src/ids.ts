import { randomBytes, randomInt } from 'node:crypto';
import type { IdGenerator, IdPrefix } from '@gateway/core';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `<prefix>_` + 8 hex of the creation second + 16 random hex: sortable by time, not guessable. */
export function timeSortableId(prefix: string, nowMs: number = Date.now()): string {
  const seconds = Math.floor(nowMs / 1000).toString(16).padStart(8, '0').slice(-8);
  return `${prefix}_${seconds}${random16Hex()}`;
}

const POOL_BYTES = 8 * 512;
let pool = Buffer.alloc(0);
let poolOffset = POOL_BYTES;

/**
 * 16 hex digits of 8 random bytes, drawn from a pool refilled 512 at a time: one call into the
 * system's random source per id cost more than the rest of making it. Each byte is used once.
 */
function random16Hex(): string {
  if (poolOffset >= POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + 8);
  poolOffset += 8;
  return hex;
}

/** `req_` + 16 random hex. */
export function requestId(): string {
  return `req_${random16Hex()}`;
}

/** `sk_live_` + 32 base62 characters drawn without modulo bias. */
export function apiToken(): string {
  let out = 'sk_live_';
  for (let i = 0; i < 32; i++) out += BASE62[randomInt(62)];
  return out;
}

export const randomIds: IdGenerator = {
  next: (prefix: IdPrefix) => timeSortableId(prefix),
  token: apiToken,
};
