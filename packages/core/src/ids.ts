/**
 * Server-generated ids are `<prefix>_<24 lowercase hex>`: 8 hex digits of creation time in seconds,
 * then 16 random hex digits. Request ids are `req_` + 16 hex. The core never makes ids itself: an
 * {@link IdGenerator} port supplies them.
 */
export const ID_PREFIXES = ['org', 'usr', 'key', 'pn', 'agent', 'conv', 'msg', 'arc'] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

const HEX24 = /^[0-9a-f]{24}$/;

export function isIdOf(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && HEX24.test(value.slice(prefix.length + 1));
}

/** Accepts a prefixed id or the bare 24 hex digits; returns the prefixed form, or null. */
export function normalizeId(prefix: IdPrefix, value: string): string | null {
  if (HEX24.test(value)) return `${prefix}_${value}`;
  return isIdOf(prefix, value) ? value : null;
}

export interface IdGenerator {
  /** A fresh `<prefix>_<24 hex>` id. */
  next(prefix: IdPrefix): string;
  /** A fresh API key token: `sk_live_` + 32 base62 characters. */
  token(): string;
}

export const TOKEN_PATTERN = /^sk_live_[0-9A-Za-z]{32}$/;
