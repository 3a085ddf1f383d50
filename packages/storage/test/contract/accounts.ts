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

    it('updates an API key (use and revocation)', async () => {
      const key = anApiKey('key_1', 'org_1');
      await uow().write(async (repos) => {
        await repos.orgs.insert(anOrg('org_1'));
        await repos.apiKeys.insert(key);
      });
      const revoked = { ...key, lastUsedAt: T0 + 1, revokedAt: T0 + 2, name: 'renamed' };
      await uow().write((repos) => repos.apiKeys.update(revoked));
      expect(await uow().read((repos) => repos.apiKeys.findByHash(key.tokenHash))).toEqual(revoked);
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
