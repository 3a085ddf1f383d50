import { createHash, timingSafeEqual } from 'node:crypto';
import type { TokenHasher } from '@gateway/core';

export const sha256Hasher: TokenHasher = {
  hash: (token) => createHash('sha256').update(token, 'utf8').digest('hex'),
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
