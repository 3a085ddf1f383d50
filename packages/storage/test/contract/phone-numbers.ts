import { describe, expect, it } from 'vitest';
import { aPhone, anOrg, aUser, orgView, rejectsWithCode, seedWorld, stored, T0, userView, useStore, W, world, type OpenStore } from './fixtures';

export function phoneNumbersContract(open: OpenStore) {
  describe('phone numbers', () => {
    const uow = useStore(open);

    it('stores a number and reads it back without its access token', async () => {
      await seedWorld(uow());
      const phone = aPhone('pn_new', W.orgA, W.a1, { wabaId: '123456789', displayName: 'Support', createdAt: T0 + 50 });
      await uow().write((repos) => repos.phoneNumbers.insert(phone));
      const got = await uow().read((repos) => repos.phoneNumbers.get(orgView(), 'pn_new'));
      expect(got).toEqual(stored(phone));
      expect(got).not.toHaveProperty('accessToken');
    });

    it("R11: another org's number is null, as is an unknown id", async () => {
      await seedWorld(uow());
      expect(await uow().read((repos) => repos.phoneNumbers.get(orgView(W.orgA), W.pnB1))).toBeNull();
      expect(await uow().read((repos) => repos.phoneNumbers.get(orgView(W.orgB), W.pnA1))).toBeNull();
      expect(await uow().read((repos) => repos.phoneNumbers.get(orgView(W.orgA), 'pn_nope'))).toBeNull();
      expect(await uow().read((repos) => repos.phoneNumbers.get(orgView(W.orgB), W.pnB1))).not.toBeNull();
    });

    it("legacy visibility: a user sees the numbers they own, not another user's of the same org", async () => {
      await seedWorld(uow());
      expect((await uow().read((repos) => repos.phoneNumbers.get(userView(W.a1), W.pnA1)))?.id).toBe(W.pnA1);
      expect(await uow().read((repos) => repos.phoneNumbers.get(userView(W.a1), W.pnA2))).toBeNull();
      expect(await uow().read((repos) => repos.phoneNumbers.get(userView(W.b1, W.orgA), W.pnB1))).toBeNull();
    });

    it('a deleted number is not found, by id or by Meta id', async () => {
      await seedWorld(uow());
      const phone = world.phones[0]!;
      await uow().write((repos) => repos.phoneNumbers.update({ ...stored(phone), deletedAt: T0 + 9, updatedAt: T0 + 9 }));
      expect(await uow().read((repos) => repos.phoneNumbers.get(orgView(), phone.id))).toBeNull();
      expect(await uow().read((repos) => repos.phoneNumbers.findByMeta(phone.platform, phone.metaPhoneNumberId))).toBeNull();
    });

    it('findByMeta finds a live number by platform and Meta id in any org', async () => {
      await seedWorld(uow());
      const b = world.phones[2]!;
      expect(await uow().read((repos) => repos.phoneNumbers.findByMeta('whatsapp', b.metaPhoneNumberId))).toEqual(stored(b));
      expect(await uow().read((repos) => repos.phoneNumbers.findByMeta('instagram', b.metaPhoneNumberId))).toBeNull();
      expect(await uow().read((repos) => repos.phoneNumbers.findByMeta('whatsapp', '999999999'))).toBeNull();
    });

    it('the same platform and Meta id twice is phone_number_exists, even across orgs', async () => {
      await seedWorld(uow());
      const taken = world.phones[0]!;
      const error = await rejectsWithCode(
        uow().write((repos) => repos.phoneNumbers.insert(aPhone('pn_dup', W.orgB, W.b1, { metaPhoneNumberId: taken.metaPhoneNumberId }))),
        'phone_number_exists',
      );
      expect(error.message).toBe('Phone number already exists');
      expect(await uow().read((repos) => repos.phoneNumbers.get(orgView(W.orgB), 'pn_dup'))).toBeNull();
    });

    it('the same Meta id on the other platform is a different number', async () => {
      await seedWorld(uow());
      const whatsapp = world.phones[0]!;
      await uow().write((repos) =>
        repos.phoneNumbers.insert(aPhone('pn_ig', W.orgA, W.a1, { platform: 'instagram', metaPhoneNumberId: whatsapp.metaPhoneNumberId })),
      );
      expect((await uow().read((repos) => repos.phoneNumbers.get(orgView(), 'pn_ig')))?.platform).toBe('instagram');
    });

    it('a deleted number frees its platform and Meta id', async () => {
      await seedWorld(uow());
      const old = world.phones[0]!;
      await uow().write((repos) => repos.phoneNumbers.update({ ...stored(old), deletedAt: T0 + 9 }));
      await uow().write((repos) => repos.phoneNumbers.insert(aPhone('pn_again', W.orgB, W.b1, { metaPhoneNumberId: old.metaPhoneNumberId })));
      expect((await uow().read((repos) => repos.phoneNumbers.findByMeta(old.platform, old.metaPhoneNumberId)))?.id).toBe('pn_again');
    });

    it('update writes the fields, with or without a new access token', async () => {
      await seedWorld(uow());
      const phone = stored(world.phones[0]!);
      const renamed = { ...phone, displayName: 'Renamed', updatedAt: T0 + 7 };
      await uow().write((repos) => repos.phoneNumbers.update(renamed));
      expect(await uow().read((repos) => repos.phoneNumbers.get(orgView(), phone.id))).toEqual(renamed);
      const rekeyed = { ...renamed, displayName: null, updatedAt: T0 + 8 };
      await uow().write((repos) => repos.phoneNumbers.update({ ...rekeyed, accessToken: 'EAAG-rotated-token' }));
      expect(await uow().read((repos) => repos.phoneNumbers.get(orgView(), phone.id))).toEqual(rekeyed);
    });

    it('lists live numbers newest first (ties by id, descending), filtered by platform', async () => {
      await seedWorld(uow());
      await uow().write(async (repos) => {
        await repos.phoneNumbers.insert(aPhone('pn_x', W.orgA, W.a1, { createdAt: T0 + 2 }));
        await repos.phoneNumbers.insert(aPhone('pn_gone', W.orgA, W.a1, { createdAt: T0 + 9, deletedAt: T0 + 9 }));
      });
      const all = await uow().read((repos) => repos.phoneNumbers.list(orgView(), {}, { kind: 'offset', limit: 10, offset: 0 }));
      expect(all.items.map((p) => p.id)).toEqual(['pn_x', W.pnA2, W.pnA1]);
      expect(all.total).toBe(3);
      const ig = await uow().read((repos) => repos.phoneNumbers.list(orgView(), { platform: 'instagram' }, { kind: 'offset', limit: 10, offset: 0 }));
      expect(ig.items.map((p) => p.id)).toEqual([W.pnA2]);
      expect(ig.total).toBe(1);
    });

    it("legacy visibility: a user's list holds only the numbers they own", async () => {
      await seedWorld(uow());
      const page = await uow().read((repos) => repos.phoneNumbers.list(userView(W.a2), {}, { kind: 'offset', limit: 10, offset: 0 }));
      expect(page.items.map((p) => p.id)).toEqual([W.pnA2]);
      expect(page.total).toBe(1);
    });

    it('pages numbers by offset and by keyset', async () => {
      await uow().write(async (repos) => {
        await repos.orgs.insert(anOrg('org_1'));
        await repos.users.insert(aUser('usr_1', 'org_1'));
        for (let i = 0; i < 5; i++) await repos.phoneNumbers.insert(aPhone(`pn_${i}`, 'org_1', 'usr_1', { createdAt: T0 + i }));
      });
      const view = { orgId: 'org_1' };
      const second = await uow().read((repos) => repos.phoneNumbers.list(view, {}, { kind: 'offset', limit: 2, offset: 2 }));
      expect(second.items.map((p) => p.id)).toEqual(['pn_2', 'pn_1']);
      expect(second.total).toBe(5);

      const first = await uow().read((repos) => repos.phoneNumbers.list(view, {}, { kind: 'keyset', limit: 3, after: null }));
      expect(first.items.map((p) => p.id)).toEqual(['pn_4', 'pn_3', 'pn_2']);
      expect(first.next).toEqual({ at: T0 + 2, id: 'pn_2' });
      const rest = await uow().read((repos) => repos.phoneNumbers.list(view, {}, { kind: 'keyset', limit: 3, after: first.next }));
      expect(rest.items.map((p) => p.id)).toEqual(['pn_1', 'pn_0']);
      expect(rest.next).toBeNull();
    });
  });
}
