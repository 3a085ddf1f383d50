import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '@gateway/http/testing';
import { createLegacyApp } from '@gateway/legacy-api';
import { createOrgApp } from '@gateway/org-api';

/**
 * What the documents say about requests against what the server does with them: for values on
 * either side of each rule, a client validating with the document reaches the same verdict as the
 * server, and the server's message for a broken rule is still its own. Then the response headers
 * the documents promise, on real answers.
 */

type Json = Record<string, unknown>;
type Schema = Json & { $ref?: string };
interface Document {
  paths: Record<string, Record<string, { parameters?: Schema[]; requestBody?: { content: { 'application/json': { schema: Schema } } }; responses: Record<string, Schema> }>>;
  components: { schemas: Record<string, Schema>; parameters: Record<string, Schema>; headers: Record<string, Schema>; responses: Record<string, Schema> };
}

/**
 * The keywords these documents use, read as JSON Schema 2020-12 reads them (patterns with the
 * Unicode flag, lengths in code points). Small on purpose: an unknown keyword fails the test.
 */
const KNOWN = new Set([
  '$ref', 'type', 'enum', 'const', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'default', 'minItems', 'maxItems',
  'uniqueItems', 'items', 'properties', 'required', 'additionalProperties', 'minProperties', 'allOf', 'anyOf', 'example', 'description',
  'writeOnly', 'format',
]);

function valid(doc: Document, schema: Schema, value: unknown): boolean {
  for (const keyword of Object.keys(schema)) if (!KNOWN.has(keyword)) throw new Error(`keyword ${keyword} is not understood here`);
  if (schema.$ref !== undefined) return valid(doc, doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')] as Schema, value);
  const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
  const types = schema.type === undefined ? null : ([] as unknown[]).concat(schema.type);
  if (types && !types.some((t) => t === typeOf(value) || (t === 'number' && typeOf(value) === 'integer'))) return false;
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) return false;
  if ('const' in schema && schema.const !== value) return false;
  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return false;
    if (typeof schema.minLength === 'number' && length < schema.minLength) return false;
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) return false;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return false;
    if (typeof schema.maximum === 'number' && value > schema.maximum) return false;
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) return false;
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return false;
    if (schema.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) return false;
    if (schema.items && !value.every((v) => valid(doc, schema.items as Schema, v))) return false;
  }
  if (typeOf(value) === 'object') {
    const object = value as Json;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    if ((schema.required as string[] | undefined)?.some((k) => !(k in object))) return false;
    if (typeof schema.minProperties === 'number' && Object.keys(object).length < schema.minProperties) return false;
    for (const [k, v] of Object.entries(object)) {
      if (properties[k] ? !valid(doc, properties[k], v) : schema.additionalProperties === false) return false;
    }
  }
  if (schema.allOf && !(schema.allOf as Schema[]).every((s) => valid(doc, s, value))) return false;
  if (schema.anyOf && !(schema.anyOf as Schema[]).some((s) => valid(doc, s, value))) return false;
  return true;
}

let gw: TestGateway;
let legacy: ReturnType<typeof createLegacyApp>;
let org: ReturnType<typeof createOrgApp>;
let docs: { legacy: Document; org: Document };
let legacyAgentId: string;
let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

beforeAll(async () => {
  gw = await createTestGateway({ plan: 'enterprise' });
  legacy = createLegacyApp(gw.services);
  org = createOrgApp(gw.services);
  docs = {
    legacy: (await (await legacy.request('/v1/openapi.json')).json()) as Document,
    org: (await (await org.request('/api/v1/openapi.json')).json()) as Document,
  };
  const created = await legacy.request(`/v1/users/${gw.alice.id}/agents`, {
    method: 'POST',
    headers: { 'x-api-key': gw.tokens.full, 'Content-Type': 'application/json' },
    body: JSON.stringify({ phone_number_id: gw.numbers.alice.id, prompt_id: 'prompt_base', name: 'Base agent' }),
  });
  expect(created.status).toBe(201);
  legacyAgentId = ((await created.json()) as { agent_id: string }).agent_id;
});
afterAll(() => gw.close());

const bodySchema = (doc: Document, path: string, method: string) => doc.paths[path]?.[method]?.requestBody?.content['application/json'].schema as Schema;

async function send(dialect: 'legacy' | 'org', method: string, url: string, body?: unknown, headers: Record<string, string> = {}, token = gw.tokens.full) {
  const app = dialect === 'legacy' ? legacy : org;
  const all: Record<string, string> = dialect === 'legacy' ? { 'x-api-key': token } : { Authorization: `Bearer ${token}` };
  if (body !== undefined) all['Content-Type'] = 'application/json';
  const res = await app.request(url, { method, headers: { ...all, ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

/** A case: one body, the document's verdict, and the server's: accepted, or the message it answers with. */
interface Case {
  name: string;
  body: () => Json | Promise<Json>;
  documentAccepts: boolean;
  /** Legacy: the 400 message. Org: the field `details` names. Undefined: no validation error. */
  rejects?: string;
}

/** A Meta id no number has yet. */
const metaId = () => `1065${(counter++).toString().padStart(8, '0')}`;

/** A new number of Alice's, so that every accepted create has a number of its own (R1). */
async function freshNumber(): Promise<string> {
  const res = await send('legacy', 'POST', `/v1/users/${gw.alice.id}/phone_numbers`, { platform: 'whatsapp', meta_phone_number_id: metaId(), access_token: 'EAAG-token-0123' });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe('the legacy document says what the server checks, and the server keeps its messages', () => {
  const agent = (change: Json) => async () => ({ phone_number_id: await freshNumber(), prompt_id: 'prompt_xyz789', name: 'Support', ...change });
  const phone = (change: Json) => () => ({ platform: 'whatsapp', meta_phone_number_id: metaId(), access_token: 'EAAG-token-0123', ...change });

  const creates: Case[] = [
    { name: 'a padded prompt_id (R5)', body: agent({ prompt_id: ' prompt_xyz789 ' }), documentAccepts: false, rejects: 'Invalid prompt_id' },
    { name: 'a prompt_id of 256 characters', body: agent({ prompt_id: 'p'.repeat(256) }), documentAccepts: false, rejects: 'Invalid prompt_id' },
    { name: 'a prompt_id of 255 characters', body: agent({ prompt_id: 'p'.repeat(255) }), documentAccepts: true },
    { name: 'a blank name (R9)', body: agent({ name: '   ' }), documentAccepts: false, rejects: 'name must be 1-255 characters' },
    { name: 'a name of 256 characters', body: agent({ name: 'n'.repeat(256) }), documentAccepts: false, rejects: 'name must be 1-255 characters' },
    { name: 'a client agent_id with a space', body: agent({ agent_id: 'my agent' }), documentAccepts: false, rejects: 'agent_id must be 1-64 characters of letters, digits, "_" or "-"' },
    { name: 'a client agent_id of 65 characters', body: agent({ agent_id: 'a'.repeat(65) }), documentAccepts: false, rejects: 'agent_id must be 1-64 characters of letters, digits, "_" or "-"' },
    { name: 'a client agent_id of 64 characters', body: agent({ agent_id: `A_-${unique()}`.padEnd(64, 'x') }), documentAccepts: true },
  ];
  const numbers: Case[] = [
    { name: 'a Meta id of 4 digits', body: phone({ meta_phone_number_id: '1234' }), documentAccepts: false, rejects: 'meta_phone_number_id must be 5-32 digits' },
    { name: 'a Meta id with a letter', body: phone({ meta_phone_number_id: '10654035224292x' }), documentAccepts: false, rejects: 'meta_phone_number_id must be 5-32 digits' },
    { name: 'a short access token', body: phone({ access_token: 'EAAG-1234' }), documentAccepts: false, rejects: 'access_token must be 10-4096 characters without spaces' },
    { name: 'an access token with a space', body: phone({ access_token: 'EAAG 0123456789' }), documentAccepts: false, rejects: 'access_token must be 10-4096 characters without spaces' },
    { name: 'a blank display name', body: phone({ display_name: '  ' }), documentAccepts: false, rejects: 'display_name must be 1-255 characters' },
    { name: 'a waba_id that is not digits', body: phone({ waba_id: 'waba-1' }), documentAccepts: false, rejects: 'waba_id must be 5-32 digits' },
    { name: 'a number with every optional field', body: phone({ display_name: 'Support', waba_id: '102290129340398' }), documentAccepts: true },
  ];
  const agentUpdates: Case[] = [
    { name: 'an empty PATCH', body: () => ({}), documentAccepts: false, rejects: 'At least one field (name, prompt_id, phone_number_id) must be provided' },
    { name: 'a PATCH of unknown fields only', body: () => ({ color: '#000000' }), documentAccepts: false, rejects: 'At least one field (name, prompt_id, phone_number_id) must be provided' },
    { name: 'a PATCH with a bad prompt_id', body: () => ({ prompt_id: 'bad prompt' }), documentAccepts: false, rejects: 'Invalid prompt_id' },
    { name: 'a rename', body: () => ({ name: 'Renamed' }), documentAccepts: true },
  ];
  const numberUpdates: Case[] = [
    { name: 'an empty PATCH', body: () => ({}), documentAccepts: false, rejects: 'At least one field (display_name, access_token) must be provided' },
    { name: 'clearing the display name', body: () => ({ display_name: null }), documentAccepts: true },
    { name: 'a new token with a tab', body: () => ({ access_token: 'EAAG\t0123456789' }), documentAccepts: false, rejects: 'access_token must be 10-4096 characters without spaces' },
  ];

  const groups = [
    { route: 'POST /v1/users/{user_id}/agents', url: () => `/v1/users/${gw.alice.id}/agents`, cases: creates },
    { route: 'POST /v1/users/{user_id}/phone_numbers', url: () => `/v1/users/${gw.alice.id}/phone_numbers`, cases: numbers },
    { route: 'PATCH /v1/users/{user_id}/agents/{agent_id}', url: () => `/v1/users/${gw.alice.id}/agents/${legacyAgentId}`, cases: agentUpdates },
    { route: 'PATCH /v1/users/{user_id}/phone_numbers/{id}', url: () => `/v1/users/${gw.alice.id}/phone_numbers/${gw.numbers.alice.id}`, cases: numberUpdates },
  ];

  for (const { route, url, cases } of groups) {
    it.each(cases)(`${route}: $name`, async ({ body, documentAccepts, rejects }) => {
      const [method, path] = route.split(' ') as [string, string];
      const value = await body();
      expect(valid(docs.legacy, bodySchema(docs.legacy, path, method.toLowerCase()), value)).toBe(documentAccepts);
      const res = await send('legacy', method, url(), value);
      if (rejects === undefined) expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
      else expect(res).toMatchObject({ status: 400, body: { error: 'Validation error', message: rejects } });
    });
  }

  it.each([
    ['offset', '-1', false, 'offset must be an integer of at least 0'],
    ['offset', '0', true, undefined],
    ['limit', '0', false, 'limit must be an integer between 1 and 100'],
    ['limit', '101', false, 'limit must be an integer between 1 and 100'],
    ['limit', '100', true, undefined],
  ] as const)('GET agents with %s=%s', async (name, value, documentAccepts, rejects) => {
    const param = docs.legacy.paths['/v1/users/{user_id}/agents']?.get?.parameters?.find((p) => p.name === name) as Schema;
    expect(valid(docs.legacy, param.schema as Schema, Number(value))).toBe(documentAccepts);
    const res = await send('legacy', 'GET', `/v1/users/${gw.alice.id}/agents?${name}=${value}`);
    if (rejects === undefined) expect(res.status).toBe(200);
    else expect(res).toMatchObject({ status: 400, body: { message: rejects } });
  });
});

describe('the org document says what the server checks', () => {
  const create = (change: Json, drop: string[] = []) => () => {
    const body: Json = { handle: `h${unique()}`, name: 'Agent', instructions: 'Help.', ...change };
    for (const key of drop) delete body[key];
    return body;
  };
  const cases: Case[] = [
    { name: 'neither instructions, instructions_html nor prompt_id (R5)', body: create({}, ['instructions']), documentAccepts: false, rejects: 'instructions' },
    { name: 'blank instructions only', body: create({ instructions: '  \n ' }), documentAccepts: false, rejects: 'instructions' },
    { name: 'a prompt_id instead of instructions', body: create({ prompt_id: 'pmpt_1' }, ['instructions']), documentAccepts: true },
    { name: 'instructions_html instead of instructions', body: create({ instructions_html: '<p>Help.</p>' }, ['instructions']), documentAccepts: true },
    { name: 'an http avatar (R9)', body: create({ avatar: 'http://cdn.example.com/a.png' }), documentAccepts: false, rejects: 'avatar' },
    { name: 'a word as avatar', body: create({ avatar: 'box' }), documentAccepts: false, rejects: 'avatar' },
    { name: 'an emoji avatar', body: create({ avatar: '📦' }), documentAccepts: true },
    { name: 'a keycap avatar', body: create({ avatar: '#️⃣' }), documentAccepts: true },
    { name: 'an https avatar', body: create({ avatar: 'https://cdn.example.com/a.png' }), documentAccepts: true },
    { name: 'a blank name', body: create({ name: '   ' }), documentAccepts: false, rejects: 'name' },
    { name: 'a repeated connector (R6)', body: create({ connectors: ['connector_a', 'connector_a'] }), documentAccepts: false, rejects: 'connectors' },
    { name: 'a repeated sub-agent (R7)', body: create({ sub_agents: ['agent_x', 'agent_x'] }), documentAccepts: false, rejects: 'sub_agents' },
    {
      name: 'a selected data source without documents (R8)',
      body: create({ data_sources: [{ source_id: 'source_a', scope: 'selected' }] }),
      documentAccepts: false,
      rejects: 'data_sources.0.documents',
    },
    {
      name: 'an all data source with documents',
      body: create({ data_sources: [{ source_id: 'source_a', scope: 'all', documents: ['doc_1'] }] }),
      documentAccepts: false,
      rejects: 'data_sources.0.documents',
    },
    { name: 'a selected data source with a document', body: create({ data_sources: [{ source_id: 'source_a', scope: 'selected', documents: ['doc_1'] }] }), documentAccepts: true },
    { name: 'a bad prompt_id', body: create({ prompt_id: 'two words' }), documentAccepts: false, rejects: 'prompt_id' },
  ];

  it.each(cases)('POST /api/v1/agents: $name', async ({ body, documentAccepts, rejects }) => {
    const value = await body();
    expect(valid(docs.org, bodySchema(docs.org, '/api/v1/agents', 'post'), value)).toBe(documentAccepts);
    const res = await send('org', 'POST', '/api/v1/agents', value);
    if (rejects === undefined) expect(res.status, JSON.stringify(res.body)).toBe(201);
    else {
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect((res.body.error as { details: { field: string }[] }).details.map((d) => d.field)).toContain(rejects);
    }
  });
});

describe('Idempotency-Key, as documented and as served', () => {
  const keys: [string, string][] = [
    ['one character', 'k'],
    ['128 printable characters', `~ ${'k'.repeat(126)}`],
    ['129 characters', 'k'.repeat(129)],
    ['a tab inside', 'a\tb'],
    ['DEL inside', 'a\x7fb'],
    ['a Latin-1 letter', 'clé'],
  ];

  it.each(keys)('%s: the documented pattern and the server agree, in both dialects', async (_, key) => {
    // One key store serves both dialects, per API key: each dialect sends with a key of its own.
    for (const [dialect, token] of [['legacy', gw.tokens.alice], ['org', gw.tokens.bob]] as const) {
      const doc = docs[dialect];
      const param = doc.components.parameters.IdempotencyKey as Schema;
      const documented = valid(doc, param.schema as Schema, key);
      const res =
        dialect === 'legacy'
          ? await send('legacy', 'PATCH', `/v1/users/${gw.alice.id}/phone_numbers/${gw.numbers.alice.id}`, { display_name: `Line ${unique()}` }, { 'Idempotency-Key': key }, token)
          : await send('org', 'POST', '/api/v1/agents', { handle: `h${unique()}`, name: 'Keyed', instructions: 'Help.' }, { 'Idempotency-Key': key }, token);
      expect(res.status < 300, `${dialect} ${JSON.stringify(res.body)}`).toBe(documented);
      if (!documented) expect(JSON.stringify(res.body)).toContain('Idempotency-Key must be 1-128 printable ASCII characters');
    }
  });
});

describe('the documented response headers are on real answers', () => {
  /** The headers a documented response promises: all of its `required` ones, or every one it lists. */
  function promised(doc: Document, response: Schema, all: boolean): string[] {
    const resolved = response.$ref ? (doc.components.responses[response.$ref.replace('#/components/responses/', '')] as Schema) : response;
    return Object.keys((resolved.headers ?? {}) as Json).filter((name) => all || doc.components.headers[name]?.required === true);
  }
  const expectHeaders = (headers: Headers, names: string[], at: string) => {
    for (const name of names) expect(headers.get(name), `${at}: ${name}`).not.toBeNull();
  };

  it('a write, its replay, a 401 and a 405, in both dialects', async () => {
    const cases = [
      { dialect: 'legacy' as const, path: '/v1/users/{user_id}/agents', url: `/v1/users/${gw.alice.id}/agents`, body: async () => ({ phone_number_id: await freshNumber(), prompt_id: 'p1', name: 'A' }) },
      { dialect: 'org' as const, path: '/api/v1/agents', url: '/api/v1/agents', body: async () => ({ handle: `h${unique()}`, name: 'A', instructions: 'Help.' }) },
    ];
    for (const { dialect, path, url, body } of cases) {
      const doc = docs[dialect];
      const op = doc.paths[path]?.post as Document['paths'][string][string];
      const key = `replay-${unique()}`;
      const value = await body();
      const first = await send(dialect, 'POST', url, value, { 'Idempotency-Key': key });
      expect(first.status, dialect).toBe(201);
      const documented = promised(doc, op.responses['201'] as Schema, true);
      expect(documented, dialect).toContain('Idempotent-Replayed');
      expectHeaders(first.headers, documented.filter((n) => n !== 'Idempotent-Replayed'), `${dialect} 201`);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const replay = await send(dialect, 'POST', url, value, { 'Idempotency-Key': key });
      expect(replay.body).toEqual(first.body);
      expectHeaders(replay.headers, documented, `${dialect} replay`);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');

      const app = dialect === 'legacy' ? legacy : org;
      const anonymous = await app.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(anonymous.status).toBe(401);
      expectHeaders(anonymous.headers, promised(doc, op.responses['401'] as Schema, false), `${dialect} 401`);

      const wrongMethod = await app.request(url, { method: 'PUT' });
      expect(wrongMethod.status).toBe(405);
      expectHeaders(wrongMethod.headers, promised(doc, op.responses['405'] as Schema, false), `${dialect} 405`);
    }
  });

  it('429 carries Retry-After and the rate-limit fields', async () => {
    const limited = await createTestGateway({ legacyLimits: { perMinute: 1, perHour: 10 }, orgLimits: { perMinute: 1, perHour: 10 } });
    try {
      for (const [dialect, app, url, path, auth] of [
        ['legacy', createLegacyApp(limited.services), `/v1/users/${limited.alice.id}/agents`, '/v1/users/{user_id}/agents', { 'x-api-key': limited.tokens.full }],
        ['org', createOrgApp(limited.services), '/api/v1/agents', '/api/v1/agents', { Authorization: `Bearer ${limited.tokens.full}` }],
      ] as const) {
        await app.request(url, { headers: auth });
        const res = await app.request(url, { headers: auth });
        expect(res.status, dialect).toBe(429);
        const response = docs[dialect].paths[path]?.get?.responses['429'] as Schema;
        expectHeaders(res.headers, promised(docs[dialect], response, true), `${dialect} 429`);
      }
    } finally {
      await limited.close();
    }
  });
});
