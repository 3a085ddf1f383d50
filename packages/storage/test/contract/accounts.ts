import { isDomainError } from '@gateway/core';
import { describe, expect, it } from 'vitest';
import { anApiKey, anOrg, aUser, rejectsWithCode, T0, useStore, type OpenStore } from './fixtures';

export function accountsContract(open: OpenStore) {
  describe('orgs, users and API keys', () => {
    const uow = useStore(open);

    it('stores an org and reads it back; an unknown id is null', async () => {
      const org = anOrg('org_1', { name: 'Acme', plan: 'enterprise', updatedAt: T0 + 5 });
      await uow().write((repos) => repos.orgs.insert(org));
      expect(await uow().read((repos) => repos.orgs.get('org_1'))).toEqual(org);
      expect(await uow().read((repos) => repos.orgs.get('org_nope'))).toBeNull();
    });

    it('counts the orgs: 0 on an empty database', async () => {
      expect(await uow().read((repos) => repos.orgs.count())).toBe(0);
      await uow().write(async (repos) => {
        await repos.orgs.insert(anOrg('org_1'));
        await repos.orgs.insert(anOrg('org_2'));
      });
      expect(await uow().read((repos) => repos.orgs.count())).toBe(2);
    });

    it('R11: a user is read only within its own org', async () => {
      const user = aUser('usr_1', 'org_1', { email: null });
      await uow().write(async (repos) => {
        await repos.orgs.insert(anOrg('org_1'));
        await repos.orgs.insert(anOrg('org_2'));
        await repos.users.insert(user);
      });
      expect(await uow().read((repos) => repos.users.get('org_1', 'usr_1'))).toEqual(user);
      expect(await uow().read((repos) => repos.users.get('org_2', 'usr_1'))).toBeNull();
      expect(await uow().read((repos) => repos.users.get('org_1', 'usr_nope'))).toBeNull();
    });

    it('a taken email is validation_failed on the email field, in any org; users without email never clash', async () => {
      await uow().write(async (repos) => {
        await repos.orgs.insert(anOrg('org_1'));
        await repos.orgs.insert(anOrg('org_2'));
        await repos.users.insert(aUser('usr_1', 'org_1', { email: 'ana@example.com' }));
        await repos.users.insert(aUser('usr_2', 'org_1', { email: null }));
        await repos.users.insert(aUser('usr_3', 'org_1', { email: null }));
      });
      const error = await rejectsWithCode(
        uow().write((repos) => repos.users.insert(aUser('usr_4', 'org_2', { email: 'ana@example.com' }))),
        'validation_failed',
      );
      expect(error.issues.map((i) => i.field)).toEqual(['email']);
      expect(await uow().read((repos) => repos.users.get('org_2', 'usr_4'))).toBeNull();
    });

    it('stores an API key with its scopes and finds it by id and by token hash', async () => {
      const key = anApiKey('key_1', 'org_1', {
        userId: 'usr_1',
        scopes: ['agents:read', 'agents:write', 'conversations:read'],
        expiresAt: T0 + 1000,
      });
      await uow().write(async (repos) => {
        await repos.orgs.insert(anOrg('org_1'));
        await repos.users.insert(aUser('usr_1', 'org_1'));
        await repos.apiKeys.insert(key);
      });
      expect(await uow().read((repos) => repos.apiKeys.get('key_1'))).toEqual(key);
      expect(await uow().read((repos) => repos.apiKeys.findByHash('hash-of-key_1'))).toEqual(key);
      expect(await uow().read((repos) => repos.apiKeys.findByHash('hash-of-nothing'))).toBeNull();
      expect(await uow().read((repos) => repos.apiKeys.get('key_nope'))).toBeNull();
    });

    it("lists an org's API keys newest first, and only that org's", async () => {
      await uow().write(async (repos) => {
        await repos.orgs.insert(anOrg('org_1'));
        await repos.orgs.insert(anOrg('org_2'));
        await repos.apiKeys.insert(anApiKey('key_old', 'org_1', { createdAt: T0 }));
        await repos.apiKeys.insert(anApiKey('key_new', 'org_1', { createdAt: T0 + 10 }));
        await repos.apiKeys.insert(anApiKey('key_tie', 'org_1', { createdAt: T0 + 10 }));
        await repos.apiKeys.insert(anApiKey('key_other', 'org_2', { createdAt: T0 + 20 }));
      });
      const keys = await uow().read((repos) => repos.apiKeys.list('org_1'));
      expect(keys.map((k) => k.id)).toEqual(['key_tie', 'key_new', 'key_old']);
    });

    it('touch records use and nothing else; revoke sets revoked_at once', async () => {
      const key = anApiKey('key_1', 'org_1');
      await uow().write(async (repos) => {
        await repos.orgs.insert(anOrg('org_1'));
        await repos.apiKeys.insert(key);
      });
      await uow().write((repos) => repos.apiKeys.touch('key_1', T0 + 1));
      expect(await uow().read((repos) => repos.apiKeys.findByHash(key.tokenHash))).toEqual({ ...key, lastUsedAt: T0 + 1 });
      // Never backwards: an older touch that lands late keeps the newer time.
      await uow().write((repos) => repos.apiKeys.touch('key_1', T0));
      expect((await uow().read((repos) => repos.apiKeys.get('key_1')))?.lastUsedAt).toBe(T0 + 1);
      expect(await uow().write((repos) => repos.apiKeys.revoke('key_1', T0 + 2))).toBe(true);
      expect(await uow().write((repos) => repos.apiKeys.revoke('key_1', T0 + 3))).toBe(false);
      expect(await uow().read((repos) => repos.apiKeys.get('key_1'))).toEqual({ ...key, lastUsedAt: T0 + 1, revokedAt: T0 + 2 });
      expect(await uow().write((repos) => repos.apiKeys.revoke('key_nope', T0))).toBe(false);
    });

    it('a key revoked after a request read it stays revoked when that request records its use', async () => {
      const key = anApiKey('key_1', 'org_1');
      await uow().write(async (repos) => {
        await repos.orgs.insert(anOrg('org_1'));
        await repos.apiKeys.insert(key);
      });
      const readByRequest = await uow().read((repos) => repos.apiKeys.findByHash(key.tokenHash));
      expect(readByRequest?.revokedAt).toBeNull();
      await uow().write((repos) => repos.apiKeys.revoke('key_1', T0 + 5));
      await uow().write((repos) => repos.apiKeys.touch(readByRequest!.id, T0 + 6));
      const after = await uow().read((repos) => repos.apiKeys.get('key_1'));
      expect(after).toEqual({ ...key, revokedAt: T0 + 5 });
    });

    it('lists orgs newest first, and an org\'s users newest first', async () => {
      await uow().write(async (repos) => {
        await repos.orgs.insert(anOrg('org_old', { createdAt: T0 }));
        await repos.orgs.insert(anOrg('org_new', { createdAt: T0 + 10 }));
        await repos.users.insert(aUser('usr_old', 'org_new', { createdAt: T0 + 11 }));
        await repos.users.insert(aUser('usr_new', 'org_new', { createdAt: T0 + 12 }));
        await repos.users.insert(aUser('usr_other', 'org_old', { createdAt: T0 + 13 }));
      });
      expect((await uow().read((repos) => repos.orgs.list())).map((o) => o.id)).toEqual(['org_new', 'org_old']);
      expect((await uow().read((repos) => repos.users.list('org_new'))).map((u) => u.id)).toEqual(['usr_new', 'usr_old']);
      expect(await uow().read((repos) => repos.users.list('org_nope'))).toEqual([]);
    });

    it('a failed insert surfaces an Error, not a raw driver error with internals', async () => {
      await uow().write((repos) => repos.orgs.insert(anOrg('org_1')));
      await uow().write((repos) => repos.users.insert(aUser('usr_1', 'org_1')));
      const error = await uow()
        .write((repos) => repos.users.insert(aUser('usr_2', 'org_1', { email: 'usr_1@example.com' })))
        .catch((e: unknown) => e);
      expect(isDomainError(error)).toBe(true);
      expect((error as Error).message).not.toMatch(/constraint|sqlite|users\.email/i);
    });
  });
}
