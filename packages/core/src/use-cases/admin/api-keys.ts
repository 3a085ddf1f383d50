import { notFound, validationFailed, type Issue } from '../../errors';
import type { ApiKey } from '../../model';
import type { UnitOfWork } from '../../ports';
import { isScope, type Scope } from '../../scopes';
import type { Actor, CoreDeps } from '../context';

export interface CreateApiKeyInput {
  orgId: string;
  userId?: string | null;
  scopes: readonly string[];
  name?: string;
  expiresAt?: number | null;
}

/** The token is returned here once and never again: only its hash is stored. */
export function createApiKey(deps: CoreDeps) {
  return async ({ uow, input }: { uow: UnitOfWork; input: CreateApiKeyInput }): Promise<{ key: ApiKey; token: string }> => {
    const issues: Issue[] = [];
    const unknown = input.scopes.filter((s) => !isScope(s));
    if (unknown.length > 0) issues.push({ field: 'scopes', rule: 'invalid', message: `unknown scopes: ${unknown.join(', ')}` });
    if (input.scopes.length === 0) issues.push({ field: 'scopes', rule: 'required', message: 'scopes must name at least one scope' });
    const now = deps.clock.now();
    if (input.expiresAt != null && !(input.expiresAt > now)) issues.push({ field: 'expires_at', rule: 'invalid', message: 'expires_at must be in the future' });
    if (issues.length > 0) throw validationFailed(issues);

    return uow.write(async (repos) => {
      if (!(await repos.orgs.get(input.orgId))) throw notFound('org', input.orgId);
      if (input.userId != null && !(await repos.users.get(input.orgId, input.userId))) throw notFound('user', input.userId);
      const token = deps.ids.token();
      const key: ApiKey = {
        id: deps.ids.next('key'),
        orgId: input.orgId,
        userId: input.userId ?? null,
        name: input.name ?? 'API key',
        scopes: [...new Set(input.scopes)] as Scope[],
        tokenHash: deps.hasher.hash(token),
        lastUsedAt: null,
        expiresAt: input.expiresAt ?? null,
        revokedAt: null,
        createdAt: now,
      };
      await repos.apiKeys.insert(key);
      return { key, token };
    });
  };
}

export function revokeApiKey(deps: CoreDeps) {
  return async ({ uow, id }: { uow: UnitOfWork; id: string }): Promise<ApiKey> =>
    uow.write(async (repos) => {
      const key = await repos.apiKeys.get(id);
      if (!key) throw notFound('api_key', id);
      if (key.revokedAt !== null) return key;
      const at = deps.clock.now();
      // Targeted: a revocation never writes back the other columns of the copy it read.
      if (!(await repos.apiKeys.revoke(id, at))) return (await repos.apiKeys.get(id)) ?? key;
      return { ...key, revokedAt: at };
    });
}

export function listApiKeys() {
  return async ({ uow, orgId }: { uow: UnitOfWork; orgId: string }): Promise<ApiKey[]> => uow.read((repos) => repos.apiKeys.list(orgId));
}

/**
 * Finds the live key for a token. The lookup goes by SHA-256 of the token, so the time it takes
 * tells nothing about how much of a guessed token was right. Returns null for any failure.
 */
export function authenticate(deps: CoreDeps) {
  return async ({ uow, token }: { uow: UnitOfWork; token: string }): Promise<ApiKey | null> => {
    const key = await uow.read((repos) => repos.apiKeys.findByHash(deps.hasher.hash(token)));
    if (!key || !isUsable(key, deps.clock.now())) return null;
    return key;
  };
}

export function isUsable(key: ApiKey, now: number): boolean {
  return key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now);
}

/** The actor a key acts as; in the legacy dialect it sees only `ownerUserId`'s numbers. */
export function actorFor(key: ApiKey, ownerUserId?: string): Actor {
  return {
    orgId: key.orgId,
    keyId: key.id,
    keyUserId: key.userId,
    scopes: new Set(key.scopes),
    visibility: ownerUserId === undefined ? { orgId: key.orgId } : { orgId: key.orgId, ownerUserId },
  };
}

/**
 * Records use without a write on every request: at most once a minute per key. The write sets
 * `last_used_at` alone and skips a revoked key, so a revocation between the request's read of the
 * key and this write is never undone.
 */
export function touchApiKey(deps: CoreDeps) {
  return async ({ uow, key }: { uow: UnitOfWork; key: ApiKey }): Promise<void> => {
    const now = deps.clock.now();
    if (key.lastUsedAt !== null && now - key.lastUsedAt < 60_000) return;
    await uow.write((repos) => repos.apiKeys.touch(key.id, now));
  };
}
