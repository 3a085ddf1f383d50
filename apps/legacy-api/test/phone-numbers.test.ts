import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { anyTimestamp, expectLegacyError, expectNoUnexpected, legacyWorld, PHONE_ID, sleep, type LegacyWorld } from './helpers';

let w: LegacyWorld;
beforeAll(async () => {
  w = await legacyWorld();
});
afterAll(() => w.gw.close());
afterEach(() => expectNoUnexpected(w.gw));

const SECRETS = ['EAAG-alice-secret', 'EAAG-alice-secret-2', 'IGQ-bob-secret', 'EAAG-new-secret-1', 'EAAG-new-secret-2', 'EAAG-rotated-token'];

/** No phone route ever answers an access token, under any name. */
function expectNoToken(res: { text: string }) {
  expect(res.text).not.toMatch(/access_token|accessToken/);
  for (const secret of SECRETS) expect(res.text).not.toContain(secret);
}

describe('POST /v1/users/{user_id}/phone_numbers', () => {
  it('adds a WhatsApp number: 201 with exactly the legacy phone number, never the token', async () => {
    const res = await w.call('POST', `${w.paths.alice}/phone_numbers`, {
      json: { platform: 'whatsapp', meta_phone_number_id: '836990829491415', access_token: 'EAAG-new-secret-1', display_name: '+1 (234) 567-8900', waba_id: '102290129340399' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(PHONE_ID),
      user_id: w.gw.alice.id,
      platform: 'whatsapp',
      meta_phone_number_id: '836990829491415',
      display_name: '+1 (234) 567-8900',
      waba_id: '102290129340399',
      created_at: anyTimestamp(),
      updated_at: anyTimestamp(),
    });
    expectNoToken(res);
  });

  it('adds an Instagram account: display_name and waba_id are null when not given', async () => {
    const res = await w.call('POST', `${w.paths.bob}/phone_numbers`, {
      json: { platform: 'instagram', meta_phone_number_id: '17841234567890999', access_token: 'EAAG-new-secret-2', extra: true },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(PHONE_ID),
      user_id: w.gw.bob.id,
      platform: 'instagram',
      meta_phone_number_id: '17841234567890999',
      display_name: null,
      waba_id: null,
      created_at: anyTimestamp(),
      updated_at: anyTimestamp(),
    });
    expectNoToken(res);
  });

  it('refuses bad fields, naming them', async () => {
    const base = { platform: 'whatsapp', meta_phone_number_id: '50000000001', access_token: 'EAAG-new-secret-1' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, platform: undefined }, 'platform is required'],
      [{ ...base, platform: 'webchat' }, 'platform must be one of whatsapp, instagram'],
      [{ ...base, meta_phone_number_id: undefined }, 'meta_phone_number_id is required'],
      [{ ...base, meta_phone_number_id: 836990829491415 }, 'meta_phone_number_id must be a string'],
      [{ ...base, meta_phone_number_id: '1234' }, 'meta_phone_number_id must be 5-32 digits'],
      [{ ...base, meta_phone_number_id: '+15550100' }, 'meta_phone_number_id must be 5-32 digits'],
      [{ ...base, access_token: null }, 'access_token is required'],
      [{ ...base, access_token: 'short' }, 'access_token must be 10-4096 characters without spaces'],
      [{ ...base, display_name: 12 }, 'display_name must be a string or null'],
      [{ ...base, display_name: '  ' }, 'display_name must be 1-255 characters'],
      [{ ...base, platform: 'instagram', waba_id: '102290129340398' }, 'waba_id is only accepted for whatsapp numbers'],
      [{ ...base, waba_id: 'abc' }, 'waba_id must be 5-32 digits'],
    ];
    for (const [json, message] of cases) {
      expectLegacyError(await w.call('POST', `${w.paths.alice}/phone_numbers`, { json }), 400, 'Validation error', message);
    }
  });

  it('the same platform and Meta id anywhere (another user, another org) is 409 "Phone number already exists"', async () => {
    for (const [path, json] of [
      [w.paths.alice, { platform: 'whatsapp', meta_phone_number_id: w.gw.numbers.alice.metaPhoneNumberId, access_token: 'EAAG-new-secret-1' }],
      [w.paths.alice, { platform: 'instagram', meta_phone_number_id: w.gw.numbers.bob.metaPhoneNumberId, access_token: 'EAAG-new-secret-1' }],
      [w.paths.bob, { platform: 'whatsapp', meta_phone_number_id: w.gw.numbers.other.metaPhoneNumberId, access_token: 'EAAG-new-secret-1' }],
    ] as const) {
      expectLegacyError(await w.call('POST', `${path}/phone_numbers`, { json }), 409, 'Conflict', 'Phone number already exists');
    }
    // Another platform with the same digits is another channel.
    const res = await w.call('POST', `${w.paths.alice}/phone_numbers`, {
      json: { platform: 'instagram', meta_phone_number_id: w.gw.numbers.alice.metaPhoneNumberId, access_token: 'EAAG-new-secret-1' },
    });
    expect(res.status).toBe(201);
  });
});

describe('GET /v1/users/{user_id}/phone_numbers', () => {
  it("lists only the user's numbers, newest first, with the platform filter and pagination", async () => {
    const local = await legacyWorld();
    try {
      await sleep(5);
      const ig = await local.call('POST', `${local.paths.alice}/phone_numbers`, {
        json: { platform: 'instagram', meta_phone_number_id: '17841000000000001', access_token: 'EAAG-new-secret-1' },
      });
      const res = await local.call('GET', `${local.paths.alice}/phone_numbers`);
      expect(res.status).toBe(200);
      const { alice, aliceSpare } = local.gw.numbers;
      // The seeded numbers were made in the same instant; the one added afterwards comes first.
      const seeded = [alice, aliceSpare].map((n) => ({
        id: n.id,
        user_id: local.gw.alice.id,
        platform: 'whatsapp',
        meta_phone_number_id: n.metaPhoneNumberId,
        display_name: n.displayName,
        waba_id: n.wabaId,
        created_at: anyTimestamp(),
        updated_at: anyTimestamp(),
      }));
      expect(res.body).toEqual({
        phone_numbers: [ig.body, expect.anything(), expect.anything()],
        pagination: { total: 3, limit: 50, offset: 0, has_more: false },
      });
      expect(res.body.phone_numbers.slice(1)).toEqual(expect.arrayContaining(seeded));
      expect(res.body.phone_numbers.map((n: { id: string }) => n.id)).not.toContain(local.gw.numbers.bob.id);
      expectNoToken(res);

      const whatsapp = await local.call('GET', `${local.paths.alice}/phone_numbers?platform=whatsapp&limit=1`);
      expect(whatsapp.body.pagination).toEqual({ total: 2, limit: 1, offset: 0, has_more: true });
      expect(whatsapp.body.phone_numbers).toHaveLength(1);
      const instagram = await local.call('GET', `${local.paths.alice}/phone_numbers?platform=instagram`);
      expect(instagram.body.phone_numbers).toEqual([ig.body]);
      expectLegacyError(await local.call('GET', `${local.paths.alice}/phone_numbers?platform=webchat`), 400, 'Validation error', 'platform must be one of whatsapp, instagram');
      expectLegacyError(await local.call('GET', `${local.paths.alice}/phone_numbers?limit=500`), 400, 'Validation error', 'limit must be an integer between 1 and 100');
      expectNoUnexpected(local.gw);
    } finally {
      await local.gw.close();
    }
  });

  it("cross-user: Alice's key cannot see Bob's number, even by id", async () => {
    const asAlice = { token: w.gw.tokens.alice };
    const list = await w.call('GET', `${w.paths.alice}/phone_numbers`, asAlice);
    expect(list.status).toBe(200);
    expect(list.body.phone_numbers.map((n: { id: string }) => n.id)).not.toContain(w.gw.numbers.bob.id);
    expectLegacyError(await w.call('GET', `${w.paths.alice}/phone_numbers/${w.gw.numbers.bob.id}`, asAlice), 404, 'Not Found', 'Phone number not found');
    expectLegacyError(await w.call('GET', `${w.paths.bob}/phone_numbers`, asAlice), 404, 'Not Found', 'User not found');
    // Even an org-wide key sees Bob's number only under Bob's path.
    expectLegacyError(await w.call('GET', `${w.paths.alice}/phone_numbers/${w.gw.numbers.bob.id}`), 404, 'Not Found', 'Phone number not found');
    expect((await w.call('GET', `${w.paths.bob}/phone_numbers/${w.gw.numbers.bob.id}`)).status).toBe(200);
  });
});

describe('GET /v1/users/{user_id}/phone_numbers/{id}', () => {
  it('answers the number without its token', async () => {
    const res = await w.call('GET', `${w.paths.alice}/phone_numbers/${w.gw.numbers.alice.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: w.gw.numbers.alice.id,
      user_id: w.gw.alice.id,
      platform: 'whatsapp',
      meta_phone_number_id: '106540352242922',
      display_name: '+1 555 0100',
      waba_id: '102290129340398',
      created_at: anyTimestamp(),
      updated_at: anyTimestamp(),
    });
    expectNoToken(res);
  });

  it('an unknown or another org\'s number is 404 "Phone number not found"', async () => {
    for (const id of ['pn_000000000000000000000000', w.gw.numbers.other.id]) {
      expectLegacyError(await w.call('GET', `${w.paths.alice}/phone_numbers/${id}`), 404, 'Not Found', 'Phone number not found');
    }
  });
});

describe('PATCH /v1/users/{user_id}/phone_numbers/{id}', () => {
  it('changes the display name, clears it with null, and rotates the token without ever answering it', async () => {
    const made = await w.call('POST', `${w.paths.alice}/phone_numbers`, {
      json: { platform: 'whatsapp', meta_phone_number_id: '50000000100', access_token: 'EAAG-new-secret-1' },
    });
    const path = `${w.paths.alice}/phone_numbers/${made.body.id}`;
    const named = await w.call('PATCH', path, { json: { display_name: 'Support line' } });
    expect(named.status).toBe(200);
    expect(named.body).toEqual({ ...made.body, display_name: 'Support line', updated_at: anyTimestamp() });
    const rotated = await w.call('PATCH', path, { json: { access_token: 'EAAG-rotated-token' } });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ ...named.body, updated_at: anyTimestamp() });
    expectNoToken(rotated);
    const cleared = await w.call('PATCH', path, { json: { display_name: null } });
    expect(cleared.body.display_name).toBeNull();
  });

  it('refuses an empty change, bad fields and unknown numbers', async () => {
    const path = `${w.paths.alice}/phone_numbers/${w.gw.numbers.aliceSpare.id}`;
    expectLegacyError(await w.call('PATCH', path, { json: {} }), 400, 'Validation error', 'At least one field (display_name, access_token) must be provided');
    expectLegacyError(await w.call('PATCH', path, { json: { access_token: 'x' } }), 400, 'Validation error', 'access_token must be 10-4096 characters without spaces');
    expectLegacyError(await w.call('PATCH', path, { json: { access_token: null } }), 400, 'Validation error', 'access_token must be a string');
    expectLegacyError(await w.call('PATCH', path, { json: { display_name: '' } }), 400, 'Validation error', 'display_name must be 1-255 characters');
    for (const id of ['pn_000000000000000000000000', w.gw.numbers.bob.id, w.gw.numbers.other.id]) {
      expectLegacyError(await w.call('PATCH', `${w.paths.alice}/phone_numbers/${id}`, { json: { display_name: 'x' } }), 404, 'Not Found', 'Phone number not found');
    }
  });
});

describe('DELETE /v1/users/{user_id}/phone_numbers/{id}', () => {
  it('R3: a number with an active agent is 409; once the agent is deleted the number can go, and is then 404', async () => {
    const made = await w.call('POST', `${w.paths.alice}/phone_numbers`, {
      json: { platform: 'whatsapp', meta_phone_number_id: '50000000200', access_token: 'EAAG-new-secret-1' },
    });
    const path = `${w.paths.alice}/phone_numbers/${made.body.id}`;
    const agent = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: made.body.id, prompt_id: 'p', name: 'Holder' } });
    expectLegacyError(await w.call('DELETE', path), 409, 'Conflict', 'Cannot delete phone number with an active agent');
    expect((await w.call('DELETE', `${w.paths.alice}/agents/${agent.body.agent_id}`)).status).toBe(200);

    const res = await w.call('DELETE', path);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: made.body.id, deleted: true });
    expectLegacyError(await w.call('GET', path), 404, 'Not Found', 'Phone number not found');
    expectLegacyError(await w.call('DELETE', path), 404, 'Not Found', 'Phone number not found');
    // R12: a deleted number cannot take an agent.
    const late = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: made.body.id, prompt_id: 'p', name: 'Late' } });
    expectLegacyError(late, 404, 'Not Found', 'Phone number not found');
    // Its platform and Meta id are free again.
    const again = await w.call('POST', `${w.paths.alice}/phone_numbers`, {
      json: { platform: 'whatsapp', meta_phone_number_id: '50000000200', access_token: 'EAAG-new-secret-1' },
    });
    expect(again.status).toBe(201);
  });
});
