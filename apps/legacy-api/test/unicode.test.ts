import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentsInDb, expectLegacyError, expectNoUnexpected, legacyWorld, type LegacyWorld } from './helpers';

/**
 * Text that is not Unicode (a lone UTF-16 surrogate, sent as a `\uD800` JSON escape) cannot be
 * stored as it was sent: it is refused naming its field, and nothing is written. Real Unicode,
 * astral characters included, reads back exactly as it was acknowledged.
 */

let w: LegacyWorld;
beforeAll(async () => {
  w = await legacyWorld();
});
afterAll(() => w.gw.close());
afterEach(() => expectNoUnexpected(w.gw));

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Sends JSON text exactly as written here: `\\ud800` in these literals is the six-character escape. */
const send = (method: string, path: string, raw: string) => w.call(method, path, { raw, headers: JSON_HEADERS });

/** Lone halves in the places they occur: alone, a high half at the end, a low half first, a pair reversed. */
const LONE = ['\\ud800', 'Support \\ud83d', '\\udc00 desk', '\\ude00\\ud83d'];

async function phoneNumbers() {
  const res = await w.call('GET', `${w.paths.alice}/phone_numbers?limit=100`);
  expect(res.status).toBe(200);
  return res.body.phone_numbers as { id: string; meta_phone_number_id: string; display_name: string | null }[];
}

describe('lone surrogates in legacy bodies', () => {
  it('POST phone_numbers: a display_name that is not Unicode text is 400 naming it, and no number is added', async () => {
    const before = await phoneNumbers();
    for (const [index, text] of LONE.entries()) {
      const meta = `7100000000${index}`;
      const res = await send(
        'POST',
        `${w.paths.alice}/phone_numbers`,
        `{"platform":"whatsapp","meta_phone_number_id":"${meta}","access_token":"EAAG-secret","display_name":"${text}"}`,
      );
      expectLegacyError(res, 400, 'Validation error', 'display_name must be valid Unicode text');
    }
    expect(await phoneNumbers()).toEqual(before);
  });

  it('POST phone_numbers: access_token, and a field name that is not Unicode text, are refused too', async () => {
    const before = await phoneNumbers();
    const token = await send('POST', `${w.paths.alice}/phone_numbers`, '{"platform":"whatsapp","meta_phone_number_id":"71000000010","access_token":"EAAG-\\udbff"}');
    expectLegacyError(token, 400, 'Validation error', 'access_token must be valid Unicode text');
    // Legacy ignores unknown fields, but not one whose very name cannot be read back.
    const key = await send('POST', `${w.paths.alice}/phone_numbers`, '{"platform":"whatsapp","meta_phone_number_id":"71000000011","access_token":"EAAG-x","\\ud800":1}');
    expectLegacyError(key, 400, 'Validation error', 'Request body has a field name that is not valid Unicode text');
    expect(await phoneNumbers()).toEqual(before);
  });

  it('POST agents: name and prompt_id that are not Unicode text are 400 naming them, and no agent is made', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '71000000020');
    for (const text of LONE) {
      const name = await send('POST', `${w.paths.alice}/agents`, `{"phone_number_id":"${number.id}","prompt_id":"prompt_v1","name":"${text}"}`);
      expectLegacyError(name, 400, 'Validation error', 'name must be valid Unicode text');
      const prompt = await send('POST', `${w.paths.alice}/agents`, `{"phone_number_id":"${number.id}","prompt_id":"prompt_${text}","name":"Support"}`);
      expectLegacyError(prompt, 400, 'Validation error', 'prompt_id must be valid Unicode text');
    }
    expect(await agentsInDb(w.gw)).not.toContainEqual(expect.objectContaining({ phoneNumberId: number.id }));
  });

  it('PATCH phone_numbers and agents: refused, and what was stored stays as it was', async () => {
    const number = await w.call('POST', `${w.paths.alice}/phone_numbers`, {
      json: { platform: 'whatsapp', meta_phone_number_id: '71000000030', access_token: 'EAAG-secret', display_name: 'Front desk' },
    });
    expect(number.status).toBe(201);
    const patchNumber = await send('PATCH', `${w.paths.alice}/phone_numbers/${number.body.id}`, '{"display_name":"Front \\udfff"}');
    expectLegacyError(patchNumber, 400, 'Validation error', 'display_name must be valid Unicode text');
    expect((await w.call('GET', `${w.paths.alice}/phone_numbers/${number.body.id}`)).body).toEqual(number.body);

    const agent = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: number.body.id, prompt_id: 'prompt_v1', name: 'Support' } });
    expect(agent.status).toBe(201);
    const patchAgent = await send('PATCH', `${w.paths.alice}/agents/${agent.body.agent_id}`, '{"name":"\\ud800"}');
    expectLegacyError(patchAgent, 400, 'Validation error', 'name must be valid Unicode text');
    expect((await w.call('GET', `${w.paths.alice}/agents/${agent.body.agent_id}`)).body).toEqual(agent.body);
  });

  it('bytes that are not UTF-8 are 400 "Request body is not valid JSON", never stored as replacement characters', async () => {
    const before = await phoneNumbers();
    const head = Buffer.from('{"platform":"whatsapp","meta_phone_number_id":"71000000040","access_token":"EAAG-x","display_name":"');
    const tail = Buffer.from('"}');
    // 0xFF never occurs in UTF-8; ED A0 80 is a surrogate encoded as if it were a character (CESU-8).
    for (const bad of [Buffer.from([0xff]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf0, 0x9f, 0x98])]) {
      const res = await w.app.request(`${w.paths.alice}/phone_numbers`, {
        method: 'POST',
        headers: { ...JSON_HEADERS, 'x-api-key': w.gw.tokens.full },
        body: Buffer.concat([head, bad, tail]),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'Validation error', message: 'Request body is not valid JSON' });
    }
    expect(await phoneNumbers()).toEqual(before);
  });
});

describe('astral characters round-trip byte for byte', () => {
  const TEXT = 'Café 😀 𝒜 — 客服';

  it('a display_name sent as UTF-8 or as escaped surrogate pairs reads back identical', async () => {
    const escaped = TEXT.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
    expect(escaped).toContain('\\ud83d\\ude00');
    for (const [index, written] of [TEXT, escaped].entries()) {
      const made = await send(
        'POST',
        `${w.paths.alice}/phone_numbers`,
        `{"platform":"whatsapp","meta_phone_number_id":"7200000000${index}","access_token":"EAAG-secret","display_name":"${written}"}`,
      );
      expect(made.status).toBe(201);
      expect(made.body.display_name).toBe(TEXT);
      const read = await w.call('GET', `${w.paths.alice}/phone_numbers/${made.body.id}`);
      expect(read.body.display_name).toBe(TEXT);
      // Byte for byte: the UTF-8 of the text itself is in the answer.
      expect(Buffer.from(read.text).includes(Buffer.from(`"display_name":"${TEXT}"`))).toBe(true);
      expect((await phoneNumbers()).find((n) => n.id === made.body.id)?.display_name).toBe(TEXT);
    }
  });

  it('an agent name with astral characters reads back identical, and so does a PATCH of it', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '72000000010');
    const made = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: number.id, prompt_id: 'prompt_v1', name: TEXT } });
    expect(made.status).toBe(201);
    expect(made.body.name).toBe(TEXT);
    expect((await w.call('GET', `${w.paths.alice}/agents/${made.body.agent_id}`)).body.name).toBe(TEXT);
    const renamed = await w.call('PATCH', `${w.paths.alice}/agents/${made.body.agent_id}`, { json: { name: `${TEXT} 🎉` } });
    expect(renamed.body.name).toBe(`${TEXT} 🎉`);
    expect((await agentsInDb(w.gw)).find((a) => a.id === made.body.agent_id)?.name).toBe(`${TEXT} 🎉`);
  });

describe('NUL characters (U+0000) in legacy bodies', () => {
  it('POST phone_numbers and agents: 400 naming the field on both databases, and nothing is written', async () => {
    const before = await phoneNumbers();
    const phone = await send(
      'POST',
      `${w.paths.alice}/phone_numbers`,
      '{"platform":"whatsapp","meta_phone_number_id":"71000000099","access_token":"EAAG-secret","display_name":"Front\\u0000desk"}',
    );
    expectLegacyError(phone, 400, 'Validation error', 'display_name must not contain NUL characters');
    expect(await phoneNumbers()).toEqual(before);
    const agentsBefore = (await agentsInDb(w.gw)).length;
    const agent = await send('POST', `${w.paths.alice}/agents`, `{"phone_number_id":"${w.gw.numbers.alice.id}","prompt_id":"p","name":"A\\u0000"}`);
    expectLegacyError(agent, 400, 'Validation error', 'name must not contain NUL characters');
    expect((await agentsInDb(w.gw)).length).toBe(agentsBefore);
  });
});

describe('NUL characters in paths and filters', () => {
  it('an id or a filter holding %00 finds nothing, as any unknown id: 404 or an empty list, never a 500', async () => {
    expectLegacyError(await w.call('GET', `${w.paths.alice}/agents/agent_%00`), 404, 'Not Found', 'Agent not found');
    expectLegacyError(await w.call('GET', '/v1/users/usr_%00/agents'), 404, 'Not Found', 'User not found');
    expectLegacyError(await w.call('GET', `${w.paths.alice}/phone_numbers/pn_%00`), 404, 'Not Found', 'Phone number not found');
    const filtered = await w.call('GET', `${w.paths.alice}/agents?phone_number_id=pn_%00`);
    expect(filtered.status).toBe(200);
    expect(filtered.body.agents).toEqual([]);
  });
});
});
