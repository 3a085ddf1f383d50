import { hash, timingSafeEqual } from 'node:crypto';
import type { TokenHasher } from '@gateway/core';

/** SHA-256 of the token's UTF-8 bytes, in hex; Node's one-shot `hash`, a third of a `Hash` object's cost. */
export const sha256Hasher: TokenHasher = {
  hash: (token) => hash('sha256', token, 'hex'),
};

/** Compares two strings in time that depends only on their length. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
