import { describe, expect, it } from 'vitest';
import { world } from './setup';

describe('phone numbers', () => {
  it('a platform and Meta id exist once among live numbers, across orgs', async () => {
    const w = await world();
    await expect(
      w.core.addPhoneNumber({
        ctx: w.ctx(w.userActor(w.bob.id)),
        input: { platform: 'whatsapp', metaPhoneNumberId: '55500011122', accessToken: 'EAAG-1234567890' },
      }),
    ).rejects.toMatchObject({ code: 'phone_number_exists', message: 'Phone number already exists' });
    // The same Meta id on the other platform is another channel.
    await w.core.addPhoneNumber({
      ctx: w.ctx(w.userActor(w.bob.id)),
      input: { platform: 'instagram', metaPhoneNumberId: '55500011122', accessToken: 'IGQ-1234567890' },
    });
  });

  it('checks fields and keeps the access token write-only', async () => {
    const w = await world();
    await expect(
      w.core.addPhoneNumber({
        ctx: w.ctx(w.userActor(w.bob.id)),
        input: { platform: 'telegram', metaPhoneNumberId: '12ab', accessToken: 'short', wabaId: '123456' },
      }),
    ).rejects.toMatchObject({ code: 'validation_failed', issues: [{ field: 'platform' }, { field: 'meta_phone_number_id' }, { field: 'access_token' }, { field: 'waba_id' }] });
    expect(w.aliceNumber).not.toHaveProperty('accessToken');
    expect(w.uow.accessTokenOf(w.aliceNumber.id)).toBe('EAAG-secret-token');
    await w.core.updatePhoneNumber({ ctx: w.ctx(w.userActor(w.alice.id)), id: w.aliceNumber.id, input: { accessToken: 'EAAG-rotated-token', displayName: 'Support' } });
    expect(w.uow.accessTokenOf(w.aliceNumber.id)).toBe('EAAG-rotated-token');
  });

  it('R11: a user view sees only that user’s numbers; another org sees none', async () => {
    const w = await world();
    const page = { kind: 'offset', limit: 50, offset: 0 } as const;
    const alice = await w.core.listPhoneNumbers({ ctx: w.ctx(w.userActor(w.alice.id)), filter: {}, page });
    expect(alice.items.map((p) => p.id)).toEqual([w.aliceNumber.id]);
    const org = await w.core.listPhoneNumbers({ ctx: w.ctx(), filter: {}, page });
    expect(org.total).toBe(2);
    await expect(w.core.getPhoneNumber({ ctx: w.ctx(w.otherActor), id: w.aliceNumber.id })).rejects.toMatchObject({ code: 'not_found' });
  });
});
