import type { ApiKey, Org, PhoneNumber, User } from '@gateway/core';

/** What the CLI prints: snake_case fields and ISO 8601 UTC timestamps. Never a token hash. */

const iso = (millis: number | null): string | null => (millis === null ? null : new Date(millis).toISOString());

/** The fields of a view, in order: what `--print FIELD` may name. */
type Fields<F extends readonly string[]> = Record<F[number], unknown>;

export const ORG_FIELDS = ['id', 'name', 'plan', 'created_at'] as const;
export const orgView = (org: Org) =>
  ({ id: org.id, name: org.name, plan: org.plan, created_at: iso(org.createdAt) }) satisfies Fields<typeof ORG_FIELDS>;

export const USER_FIELDS = ['id', 'org_id', 'name', 'email', 'created_at'] as const;
export const userView = (user: User) =>
  ({
    id: user.id,
    org_id: user.orgId,
    name: user.name,
    email: user.email,
    created_at: iso(user.createdAt),
  }) satisfies Fields<typeof USER_FIELDS>;

export const KEY_FIELDS = ['id', 'org_id', 'user_id', 'name', 'scopes', 'expires_at', 'last_used_at', 'revoked_at', 'created_at'] as const;
/** A key as listed: no token (it is not stored) and no hash. */
export const keyView = (key: ApiKey) =>
  ({
    id: key.id,
    org_id: key.orgId,
    user_id: key.userId,
    name: key.name,
    scopes: key.scopes,
    expires_at: iso(key.expiresAt),
    last_used_at: iso(key.lastUsedAt),
    revoked_at: iso(key.revokedAt),
    created_at: iso(key.createdAt),
  }) satisfies Fields<typeof KEY_FIELDS>;

export const CREATED_KEY_FIELDS = ['id', 'token', 'org_id', 'user_id', 'name', 'scopes', 'expires_at', 'created_at'] as const;
/** A key just created: the only time its token is ever shown. */
export const createdKeyView = (key: ApiKey, token: string) =>
  ({
    id: key.id,
    token,
    org_id: key.orgId,
    user_id: key.userId,
    name: key.name,
    scopes: key.scopes,
    expires_at: iso(key.expiresAt),
    created_at: iso(key.createdAt),
  }) satisfies Fields<typeof CREATED_KEY_FIELDS>;

export const phoneNumberView = (phone: PhoneNumber) => ({
  id: phone.id,
  org_id: phone.orgId,
  user_id: phone.userId,
  platform: phone.platform,
  meta_phone_number_id: phone.metaPhoneNumberId,
  display_name: phone.displayName,
  waba_id: phone.wabaId,
  created_at: iso(phone.createdAt),
});

/** `key  value` lines under a title, for the human-readable output. */
export function record(title: string, fields: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(fields).map((k) => k.length));
  const lines = Object.entries(fields).map(([k, v]) => `  ${k.padEnd(width)}  ${format(v)}`);
  return [title, ...lines].join('\n');
}

/** One field as `--print` shows it: a list joined with commas, null as an empty line. */
export function plain(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

function format(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}
