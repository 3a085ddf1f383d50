import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLegacyApp } from '@gateway/legacy-api';
import { expectError, expectInvalid, instructions, orgWorld, type OrgWorld } from './helpers';

/**
 * Text that is not Unicode (a lone UTF-16 surrogate, sent as a `\uD800` JSON escape) cannot be
 * stored as it was sent: it is 422 naming its wire path, and nothing is written. Real Unicode,
 * astral characters included, reads back exactly as it was acknowledged.
 */

let w: OrgWorld;
beforeEach(async () => {
  w = await orgWorld();
});
afterEach(async () => {
  expect(w.gw.unexpected).toEqual([]);
  await w.gw.close();
});

/** JSON text exactly as written: `\\ud800` in these literals is the six-character escape. */
const send = (method: 'POST' | 'PATCH', path: string, raw: string) => w.api.call(method, path, { raw });

const tools = (third: string) =>
  `[{"name":"shopify_get_order","connector_id":"connector_abc"},{"name":"shopify_search_orders","connector_id":"connector_abc"},{"name":"${third}","connector_id":"connector_def"}]`;

async function agentCount() {
  const res = await w.api.get('/agents?limit=100');
  expect(res.status).toBe(200);
  return (res.body.data as unknown[]).length;
}

describe('lone surrogates in org bodies', () => {
  it('POST agents: tools[].name, description and instructions are each named by their wire path, and no agent is made', async () => {
    const before = await agentCount();
    const res = await send(
      'POST',
      '/agents',
      `{"handle":"wismo","name":"WISMO","description":"Orders \\ud83d","instructions":"\\udc00 Answer","tools":${tools('zendesk_\\ud800')}}`,
    );
    const details = expectInvalid(res, ['description', 'instructions', 'tools.2.name']);
    expect(details).toContainEqual({ field: 'tools.2.name', message: 'tools.2.name must be valid Unicode text' });
    expect(details).toContainEqual({ field: 'description', message: 'description must be valid Unicode text' });
    expect(res.body.error.message).toBe('3 problems in the request; see details');
    expect(await agentCount()).toBe(before);
  });

  it('POST agents: one problem is the message itself; a field name that is not Unicode text is named by its object', async () => {
    const name = await send('POST', '/agents', `{"handle":"wismo","name":"\\ude00\\ud83d","instructions":"${instructions}"}`);
    expectInvalid(name, ['name']);
    expect(name.body.error.message).toBe('name must be valid Unicode text');
    const key = await send('POST', '/agents', `{"handle":"wismo","name":"WISMO","instructions":"${instructions}","tools":[{"name":"t","\\ud800":1}]}`);
    expectInvalid(key, ['tools.0']);
    expect(key.body.error.details).toEqual([{ field: 'tools.0', message: 'tools.0 has a field name that is not valid Unicode text' }]);
    expect(await agentCount()).toBe(0);
  });

  it('PATCH agents: refused, and the agent stays as it was', async () => {
    const agent = await w.createAgent({ name: 'Support', tools: [{ name: 'lookup', connector_id: null }] });
    const res = await send('PATCH', `/agents/${agent.id}`, `{"name":"Support","tools":${tools('\\udbff')}}`);
    expect(expectInvalid(res, ['tools.2.name'])).toEqual([{ field: 'tools.2.name', message: 'tools.2.name must be valid Unicode text' }]);
    expect((await w.api.get(`/agents/${agent.id}`)).body.data).toEqual(agent);
  });
});

describe('astral characters round-trip byte for byte', () => {
  const TEXT = 'Café 😀 𝒜 — 客服';

  it('name, description, instructions and an emoji avatar read back identical, in both dialects', async () => {
    const made = await w.api.post('/agents', {
      handle: 'astral',
      name: TEXT,
      description: `${TEXT} (description)`,
      instructions: `${TEXT} (instructions)`,
      avatar: '📦',
    });
    expect(made.status).toBe(201);
    const read = await w.api.get(`/agents/${made.body.data.id}`);
    for (const data of [made.body.data, read.body.data]) {
      expect(data).toMatchObject({
        name: TEXT,
        description: `${TEXT} (description)`,
        instructions: `${TEXT} (instructions)`,
        avatar: '📦',
      });
    }
    // Escaped surrogate pairs are the same characters: a PATCH written that way reads back the same.
    const escaped = TEXT.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const patched = await send('PATCH', `/agents/${made.body.data.id}`, `{"name":"${escaped} 2"}`);
    expect(patched.status).toBe(200);
    expect((await w.api.get(`/agents/${made.body.data.id}`)).body.data.name).toBe(`${TEXT} 2`);

    // The legacy dialect reads the same stored text (an agent on a number it can see).
    const onNumber = await w.api.post('/agents', { handle: 'astralTwo', name: TEXT, instructions, phone_number_id: w.gw.numbers.alice.id });
    expect(onNumber.status).toBe(201);
    const legacy = await createLegacyApp(w.gw.services).request(`/v1/users/${w.gw.alice.id}/agents/${onNumber.body.data.id}`, {
      headers: { 'x-api-key': w.gw.tokens.full },
    });
    const text = await legacy.text();
    expect(JSON.parse(text).name).toBe(TEXT);
    expect(Buffer.from(text).includes(Buffer.from(`"name":"${TEXT}"`))).toBe(true);
  });

describe('NUL characters (U+0000) in org bodies', () => {
  it('are 422 naming the field on both databases (PostgreSQL cannot store them), and nothing is written', async () => {
    const res = await send('POST', '/agents', `{"handle":"nul","name":"Nul\\u0000Agent","instructions":"Answer \\u0000 this","tools":${tools('lookup\\u0000')}}`);
    const details = expectInvalid(res, ['instructions', 'name', 'tools.2.name']);
    expect(details).toContainEqual({ field: 'name', message: 'name must not contain NUL characters' });
    const key = await send('POST', '/agents', `{"handle":"nul","name":"N","instructions":"${instructions}","tools":[{"name":"t","a\\u0000b":1}]}`);
    expect(key.body.error.details).toEqual([{ field: 'tools.0', message: 'tools.0 has a field name with a NUL character' }]);
    expect(await agentCount()).toBe(0);
  });
});

describe('NUL characters in paths and filters', () => {
  it('an id or a filter holding %00 finds nothing, as any unknown id: 404 or an empty list, never a 500', async () => {
    const agent = await w.createAgent({ name: 'Support' });
    expectError(await w.api.get('/agents/agent_%00'), 404, 'agent_not_found');
    expectError(await w.api.get(`/agents/${agent.id}%00`), 404, 'agent_not_found');
    expectError(await w.api.get('/phone_numbers/pn_%00'), 404, 'phone_number_not_found');
    expectError(await w.api.get('/conversations/conv_%00/messages'), 404, 'conversation_not_found');
    const filtered = await w.api.get('/conversations?agent_id=agent_%00');
    expect(filtered.status).toBe(200);
    expect(filtered.body.data).toEqual([]);
  });
});
});
