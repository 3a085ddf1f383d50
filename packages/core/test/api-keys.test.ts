import { describe, expect, it } from 'vitest';
import { SCOPES } from '../src';
import { world } from './setup';

describe('API keys', () => {
  it('a key revoked between a request reading it and recording its use stays revoked', async () => {
    const w = await world();
    const { key, token } = await w.core.createApiKey({ uow: w.uow, input: { orgId: w.org.id, scopes: [...SCOPES] } });
    const read = await w.core.authenticate({ uow: w.uow, token });
    expect(read?.id).toBe(key.id);

    // The admin CLI (or another instance) revokes the key while the request is still running.
    w.deps.clock.advance(1000);
    await w.core.revokeApiKey({ uow: w.uow, id: key.id });
    // Then the request records its use from the copy it read before the revocation.
    w.deps.clock.advance(1000);
    await w.core.touchApiKey({ uow: w.uow, key: read! });

    const stored = await w.uow.read((repos) => repos.apiKeys.get(key.id));
    expect(stored?.revokedAt).toBe(w.deps.clock.now() - 1000);
    expect(await w.core.authenticate({ uow: w.uow, token })).toBeNull();
  });

  it('recording use changes last_used_at and nothing else', async () => {
    const w = await world();
    const { key } = await w.core.createApiKey({ uow: w.uow, input: { orgId: w.org.id, scopes: ['agents:read'], name: 'ci' } });
    w.deps.clock.advance(5000);
    // A copy with other values (as a stale or tampered copy would carry) must not be written back.
    await w.core.touchApiKey({ uow: w.uow, key: { ...key, name: 'changed', scopes: [...SCOPES], expiresAt: 1 } });
    expect(await w.uow.read((repos) => repos.apiKeys.get(key.id))).toEqual({ ...key, lastUsedAt: w.deps.clock.now() });
  });

  it('revoking twice keeps the first revocation time', async () => {
    const w = await world();
    const { key } = await w.core.createApiKey({ uow: w.uow, input: { orgId: w.org.id, scopes: ['agents:read'] } });
    const first = await w.core.revokeApiKey({ uow: w.uow, id: key.id });
    w.deps.clock.advance(60_000);
    const second = await w.core.revokeApiKey({ uow: w.uow, id: key.id });
    expect(second.revokedAt).toBe(first.revokedAt);
    expect((await w.uow.read((repos) => repos.apiKeys.get(key.id)))?.revokedAt).toBe(first.revokedAt);
  });
});

describe('orgs and users for the admin CLI', () => {
  it('lists orgs newest first, and the users of one org', async () => {
    const w = await world();
    const orgs = await w.core.listOrgs({ uow: w.uow });
    expect(orgs.map((o) => o.id)).toEqual([w.other.id, w.org.id]);
    const users = await w.core.listUsers({ uow: w.uow, orgId: w.org.id });
    expect(users.map((u) => u.id).sort()).toEqual([w.alice.id, w.bob.id].sort());
    await expect(w.core.listUsers({ uow: w.uow, orgId: 'org_000000000000000000000000' })).rejects.toMatchObject({ code: 'not_found', entity: 'org' });
  });
});
