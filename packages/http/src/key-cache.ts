import type { ApiKey } from '@gateway/core';

/**
 * Keys that authenticated recently, by the SHA-256 of their token, so a busy key is not read from
 * the database on every request. Bounded twice (contract §9): at most `maxEntries` keys, each
 * trusted for at most `ttlMs`, so a key revoked on any instance stops working everywhere within
 * `ttlMs`. Only keys that authenticated are kept; a failed lookup always goes to the database.
 * A `ttlMs` of 0 turns the cache off.
 */
export class ApiKeyCache {
  readonly #entries = new Map<string, { key: ApiKey; until: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor({ ttlMs, maxEntries = 10_000 }: { ttlMs: number; maxEntries?: number }) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  get(tokenHash: string, now: number): ApiKey | null {
    const entry = this.#entries.get(tokenHash);
    if (entry === undefined) return null;
    if (entry.until <= now) {
      this.#entries.delete(tokenHash);
      return null;
    }
    return entry.key;
  }

  set(tokenHash: string, key: ApiKey, now: number): void {
    if (this.#ttlMs <= 0) return;
    this.#entries.delete(tokenHash);
    if (this.#entries.size >= this.#maxEntries) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    this.#entries.set(tokenHash, { key, until: now + this.#ttlMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}
