import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '@gateway/http';
import {
  anyHandle,
  handle,
  isStorable,
  bodies,
  contentType,
  EMOJI,
  hex,
  idempotencyKey,
  injectedRequestIdLine,
  isValidIdempotencyKey,
  leakedSecret,
  longText,
  members,
  padTo,
  parsed,
  pathId,
  plainName,
  promptId,
  queryString,
  render,
  requestId,
  requestIdMatches,
  sizeAroundLimit,
  text,
  type FuzzBody,
  type Members,
  checkInjectedRequestId,
  expectReplayed,
} from '../src/arbitraries';
import { runs, RUNS_FACTOR } from '../src/runs';
import type { Snapshot } from '../src/snapshot';
import { isLegacyError, isOrgError, startWorld, type Answer, type RawRequest, type World } from '../src/world';

/**
 * Property-based fuzzing of every write route of the org dialect (`/api/v1/agents…`): random and
 * mutated bodies (unknown fields, wrong types, nulls, duplicate keys, text of every kind, HTML),
 * content types, Idempotency-Keys, X-Request-IDs, keys, ids and query strings, over the one
 * kept-alive connection of the world. Each case checks:
 *
 * - P1 never a 5xx, and the connection is never dropped or told to close;
 * - P2 every non-2xx is an org error body (§4) whose code fits its status, with the status the
 *   contract names where the request decides it (401, 403, 413, 415, unknown fields → 422, a bad
 *   Idempotency-Key → 422 unless the body failed first);
 * - P3 a refused request changes nothing in the database;
 * - P4 what a 2xx acknowledged reads back identical: the org GET is the acknowledged agent itself,
 *   the legacy GET (when the agent is on a number of Alice's) has the same name and prompt_id;
 * - P5 no access token or API token ever appears in a response body or in the gateway's logs.
 */

const P = 'P1 no 5xx, connection kept · P2 org error shape and status · P3 a refusal writes nothing · P4 a 2xx reads back identical in both dialects · P5 no secret in bodies or logs';

let world: World;
let readOnly: string;
let fixtureAgent: string;
let subAgentA: string;
let subAgentB: string;
let deletedAgent: string;
let otherAgent: string;
let legacyChosen: string;
let heldNumber: string;
/** A number of Alice's made through the legacy dialect, for the Idempotency-Key property. */
let legacyNumber: string;
const secrets = new Set<string>();
const aliceNumbers = new Set<string>();

let counter = 0;
const nextMetaId = () => `8${String(process.pid).padStart(7, '0')}${String(++counter).padStart(6, '0')}`;
const orgHeaders = (token = world.gw.tokens.full) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

async function call(request: RawRequest): Promise<Answer> {
  const answer = await world.request(request);
  expect(answer.status, `${request.method} ${request.path}: ${answer.text.slice(0, 500)}`).toBeLessThan(500);
  return answer;
}

async function made(request: RawRequest, status = 201): Promise<Record<string, unknown>> {
  const answer = await call(request);
  expect(answer.status, answer.text).toBe(status);
  return (answer.json as { data: Record<string, unknown> }).data;
}

/** The database as the previous case left it, or null when something was written since. */
let last: Snapshot | null = null;
const baseline = async () => (last ??= await world.snapshot());

const addNumber = async () => {
  const id = (await world.gw.addNumber(world.gw.alice.id, nextMetaId())).id;
  aliceNumbers.add(id);
  return id;
};
const createAgent = async (extra: Record<string, unknown> = {}, token = world.gw.tokens.full) =>
  (await made({ method: 'POST', path: '/api/v1/agents', headers: orgHeaders(token), body: JSON.stringify({ handle: `h${nextMetaId()}`, name: 'Made', instructions: 'Help with orders.', ...extra }) })).id as string;

/** Free numbers of Alice's and agents to delete, made before the properties run (so a case reads them instead of writing). */
const pool = { numbers: [] as string[], agents: [] as string[] };
async function freshNumber() {
  const id = pool.numbers.pop();
  if (id !== undefined) return id;
  last = null;
  return addNumber();
}
async function newAgent() {
  const id = pool.agents.pop();
  if (id !== undefined) return id;
  last = null;
  return createAgent();
}

beforeAll(async () => {
  world = await startWorld({ plan: 'enterprise' });
  const { gw } = world;
  readOnly = await gw.tokens.withScopes(['agents:read', 'phone_numbers:read', 'conversations:read', 'org:read']);
  for (const token of [gw.tokens.full, gw.tokens.alice, gw.tokens.bob, gw.tokens.other, gw.tokens.revoked, gw.tokens.expired, gw.tokens.unknown, readOnly]) secrets.add(token);
  for (const token of ['EAAG-alice-secret', 'EAAG-alice-secret-2', 'IGQ-bob-secret', 'EAAG-carol-secret', 'EAAG-some-secret']) secrets.add(token);
  for (const number of [gw.numbers.alice.id, gw.numbers.aliceSpare.id]) aliceNumbers.add(number);

  fixtureAgent = await createAgent({ name: 'Fixture' });
  subAgentA = await createAgent({ name: 'Sub A' });
  subAgentB = await createAgent({ name: 'Sub B' });
  deletedAgent = await createAgent();
  await made({ method: 'DELETE', path: `/api/v1/agents/${deletedAgent}`, headers: orgHeaders() }, 200);
  otherAgent = await createAgent({}, gw.tokens.other);
  heldNumber = await addNumber();
  await createAgent({ phone_number_id: heldNumber });
  // An agent whose id a legacy client chose: org paths accept it too.
  const chosen = await call({
    method: 'POST',
    path: `/v1/users/${gw.alice.id}/agents`,
    headers: { 'x-api-key': gw.tokens.full, 'content-type': 'application/json' },
    body: JSON.stringify({ phone_number_id: await addNumber(), prompt_id: 'prompt_v1', name: 'Chosen', agent_id: `legacy-${process.pid}` }),
  });
  expect(chosen.status, chosen.text).toBe(201);
  legacyChosen = (chosen.json as { agent_id: string }).agent_id;
  secrets.add('EAAG-idempotency-fixture');
  const number = await call({
    method: 'POST',
    path: `/v1/users/${gw.alice.id}/phone_numbers`,
    headers: { 'x-api-key': gw.tokens.full, 'content-type': 'application/json' },
    body: JSON.stringify({ platform: 'whatsapp', meta_phone_number_id: nextMetaId(), access_token: 'EAAG-idempotency-fixture', display_name: 'Desk' }),
  });
  expect(number.status, number.text).toBe(201);
  legacyNumber = (number.json as { id: string }).id;
  for (let i = 0; i < 60 * RUNS_FACTOR; i += 1) pool.agents.push(await createAgent());
  for (let i = 0; i < 150 * RUNS_FACTOR; i += 1) pool.numbers.push(await addNumber());
});

afterAll(async () => {
  if (process.env.FUZZ_STATS) console.log(JSON.stringify(stats, null, 1));
  await world?.close();
});

/** With FUZZ_STATS set, how the cases of each route were answered. */
const stats: Record<string, Record<string, number>> = {};
function tally(route: string, answer: Answer) {
  const error = (answer.json as { error?: { code?: string; message?: string } } | undefined)?.error;
  const key = answer.status >= 300 ? `${answer.status} ${error?.code ?? ''} ${error?.message?.slice(0, 60) ?? ''}` : String(answer.status);
  const forRoute = (stats[route] ??= {});
  forRoute[key] = (forRoute[key] ?? 0) + 1;
}

// ---------------------------------------------------------------------------------------------
// What a case sends

type KeyKind = 'full' | 'alice' | 'other' | 'readOnly' | 'revoked' | 'expired' | 'unknown' | 'none' | 'garbage' | 'xApiKey' | 'basic';

interface Envelope {
  key: KeyKind;
  contentType: string | undefined;
  idempotencyKey: string | undefined;
  requestId: string | undefined;
  query: string;
}

/** Mostly a request a client would send, so that bodies reach the rules; often anything at all. */
const envelope: fc.Arbitrary<Envelope> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      key: fc.constantFrom<KeyKind>('full', 'full', 'alice'),
      contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8'),
      idempotencyKey: fc.option(fc.uuid(), { nil: undefined }),
      requestId: fc.option(requestId, { nil: undefined }),
      query: fc.constant(''),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      key: fc.oneof(
        { weight: 10, arbitrary: fc.constant<KeyKind>('full') },
        { weight: 3, arbitrary: fc.constantFrom<KeyKind>('alice', 'other') },
        { weight: 3, arbitrary: fc.constantFrom<KeyKind>('readOnly', 'revoked', 'expired', 'unknown', 'none', 'garbage', 'xApiKey', 'basic') },
      ),
      contentType,
      idempotencyKey,
      requestId,
      query: queryString,
    }),
  },
);

function tokenOf(kind: KeyKind): string {
  const { tokens } = world.gw;
  return kind === 'alice' ? tokens.alice : kind === 'other' ? tokens.other : tokens.full;
}

function headersOf(e: Envelope, method: string): Record<string, string> {
  const { tokens } = world.gw;
  const headers: Record<string, string> = {};
  const bearer: Partial<Record<KeyKind, string>> = {
    full: tokens.full,
    alice: tokens.alice,
    other: tokens.other,
    readOnly,
    revoked: tokens.revoked,
    expired: tokens.expired,
    unknown: tokens.unknown,
    garbage: 'sk_live_not-a-key',
  };
  if (bearer[e.key] !== undefined) headers.authorization = `Bearer ${bearer[e.key]}`;
  // §7: the org dialect reads only Bearer; these are ignored, so the request is unauthenticated.
  if (e.key === 'xApiKey') headers['x-api-key'] = tokens.full;
  if (e.key === 'basic') headers.authorization = `Basic ${Buffer.from(`user:${tokens.full}`).toString('base64')}`;
  if (method !== 'DELETE' && e.contentType !== undefined) headers['content-type'] = e.contentType;
  if (e.idempotencyKey !== undefined) headers['idempotency-key'] = e.idempotencyKey;
  if (e.requestId !== undefined) headers['x-request-id'] = e.requestId;
  return headers;
}

const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-8', 'application/vnd.api+json', 'application/merge-patch+json', ' application/json ']);
const NOT_JSON_TYPES = new Set([undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '*/*', 'json']);
const sizeOf = (body: string | Buffer | undefined) => (body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length);

/** The statuses the contract allows for a request before its body's meaning is looked at, or null when that depends on the body or the data. */
function decidedStatuses(e: Envelope, method: string, body: string | Buffer | undefined): number[] | null {
  if (['revoked', 'expired', 'unknown', 'none', 'garbage', 'xApiKey', 'basic'].includes(e.key)) return [401];
  if (e.key === 'readOnly') return [403];
  if (method === 'DELETE') return null;
  if (NOT_JSON_TYPES.has(e.contentType)) return [415];
  if (!JSON_TYPES.has(e.contentType as string)) return null;
  if (sizeOf(body) > MAX_BODY_BYTES) return [413];
  // A body that is not JSON (400) or holds text that is not Unicode (422) is refused before the key is looked at.
  if (e.idempotencyKey !== undefined && !isValidIdempotencyKey(e.idempotencyKey)) return [400, 422];
  return null;
}

const routable = (path: string) => path.split('/').slice(1).every((segment) => segment !== '' && !/^(\.|%2e){1,2}$/i.test(segment));

// ---------------------------------------------------------------------------------------------
// The checks of every case

interface Case {
  method: 'POST' | 'PATCH' | 'DELETE';
  path: string;
  envelope: Envelope;
  body: string | Buffer | undefined;
  readBack(answer: Answer, sent: unknown): Promise<void>;
}

async function check(c: Case): Promise<Answer> {
  const before = await baseline();
  const logsAt = world.logs.length;
  const request: RawRequest = { method: c.method, path: `${c.path}${c.envelope.query}`, headers: headersOf(c.envelope, c.method), ...(c.body !== undefined ? { body: c.body } : {}) };
  const answer = await call(request);
  const context = `${c.method} ${request.path} → ${answer.status} ${answer.text.slice(0, 300)}`;
  tally(`${c.method} ${c.path.replace(/agents\/.*/, 'agents/:id')}`, answer);

  // P1
  expect(answer.headers.connection, context).not.toBe('close');
  // §2
  expect(requestIdMatches(c.envelope.requestId, answer.headers['x-request-id'] as string | undefined), `${context} x-request-id ${answer.headers['x-request-id']}`).toBe(true);

  const decided = routable(c.path) ? decidedStatuses(c.envelope, c.method, c.body) : null;
  if (decided !== null) expect(decided, context).toContain(answer.status);

  const after = await world.snapshot();
  if (answer.status < 200 || answer.status >= 300) {
    // P2
    expect(isOrgError(answer.status, answer.json), context).toBe(true);
    expect((answer.json as { error: { request_id: string } }).error.request_id).toBe(answer.headers['x-request-id']);
    // P3
    expect(after, context).toEqual(before);
  } else if (answer.headers['idempotent-replayed'] !== 'true') {
    const envelopeOk = answer.json as { data: unknown; meta: { request_id: string } };
    expect(envelopeOk.meta.request_id, context).toBe(answer.headers['x-request-id']);
    // P4
    await c.readBack(answer, parsed(c.body));
    if (c.envelope.idempotencyKey !== undefined && c.method !== 'DELETE') await expectReplayed(world, { request, answer, requestId: c.envelope.requestId, after, context });
  }
  last = after;
  // P5
  expect(leakedSecret(secrets, answer.text, ...world.logs.slice(logsAt)), context).toBeNull();
  return answer;
}

const R4 = /^[a-zA-Z][a-zA-Z0-9]{0,63}$/;
const asRecord = (value: unknown) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const CREATE_FIELDS = ['handle', 'name', 'description', 'instructions', 'instructions_html', 'prompt_id', 'model', 'color', 'avatar', 'include_system_prompt', 'tools', 'connectors', 'sub_agents', 'data_sources', 'phone_number_id'];
const UPDATE_FIELDS = [...CREATE_FIELDS, 'is_active', 'deactivated_reason'];

/** What an acknowledged agent says about the fields the request sent (exactly, the name trimmed, §4 and R5–R9). */
function matchesSent(ack: Record<string, unknown>, sent: Record<string, unknown>, allowed: readonly string[]) {
  // §2: the org dialect rejects unknown fields, so a 2xx had none.
  expect(Object.keys(sent).filter((k) => !allowed.includes(k))).toEqual([]);
  if ('handle' in sent) expect(ack.handle).toBe(sent.handle);
  if ('name' in sent) expect(ack.name).toBe((sent.name as string).trim());
  for (const field of ['description', 'prompt_id', 'model', 'avatar']) if (field in sent) expect(ack[field], field).toBe(sent[field]);
  if ('color' in sent) expect(ack.color).toBe(sent.color ?? '#6366f1');
  if ('include_system_prompt' in sent) expect(ack.include_system_prompt).toBe(sent.include_system_prompt);
  if (typeof sent.instructions === 'string' && sent.instructions.trim() !== '') expect(ack.instructions).toBe(sent.instructions);
  if (Array.isArray(sent.tools)) expect(ack.tools).toEqual(sent.tools.map((t: { name: string; connector_id?: string | null }) => ({ name: t.name, connector_id: t.connector_id ?? null })));
  if (typeof ack.instructions_html === 'string') expect(ack.instructions_html).not.toMatch(/<script|onerror|javascript:|<img|<iframe|style=/i);
  expect(ack.handle).toMatch(R4);
}

/** P4: the org GET (with the key that wrote) is the acknowledged agent; the legacy GET has its name and prompt. */
async function readsBack(ack: Record<string, unknown>, key: KeyKind) {
  const org = await call({ method: 'GET', path: `/api/v1/agents/${ack.id}`, headers: orgHeaders(tokenOf(key)) });
  expect(org.status, org.text).toBe(200);
  expect((org.json as { data: unknown }).data).toEqual(ack);
  if (typeof ack.phone_number_id === 'string' && aliceNumbers.has(ack.phone_number_id)) {
    const legacy = await call({ method: 'GET', path: `/v1/users/${world.gw.alice.id}/agents/${ack.id}`, headers: { 'x-api-key': world.gw.tokens.full } });
    expect(legacy.status, legacy.text).toBe(200);
    const agent = legacy.json as Record<string, unknown>;
    expect({ name: agent.name, prompt_id: agent.prompt_id, phone_number_id: agent.phone_number_id }).toEqual({ name: ack.name, prompt_id: ack.prompt_id, phone_number_id: ack.phone_number_id });
  }
}

// ---------------------------------------------------------------------------------------------
// Bodies

const PHONE = '<phone_number_id>';
const SUB_A = '<sub_a>';
const SUB_B = '<sub_b>';
const SELF = '<self>';


const textField = fc.oneof({ weight: 3, arbitrary: plainName }, { weight: 2, arbitrary: text });
const instructions = fc.oneof(
  { weight: 4, arbitrary: plainName },
  { weight: 2, arbitrary: text },
  { weight: 1, arbitrary: longText(99_990, 100_010) },
  { weight: 1, arbitrary: fc.constantFrom(null, '', '   ') },
);
const html = fc.oneof(
  fc.constantFrom(
    '<p>Answer <strong>politely</strong>.</p>',
    '<script>alert(1)</script><p>Hello</p>',
    '<a href="javascript:alert(1)">x</a><a href="https://example.com">ok</a>',
    '<img src=x onerror=alert(1)><p>x</p>',
    '<p style="color:red" onclick="x()">styled</p>',
    '<iframe src="https://evil.example"></iframe>',
    '<ul><li>one</li><li>two</li></ul>',
    '',
    '<p></p>',
  ),
  text.map((t) => `<p>${t}</p>`),
  text,
);
const model = fc.oneof(fc.constantFrom('gpt-5', 'gpt-5-mini', 'o4:mini-2025.01', null), fc.string({ unit: fc.constantFrom(...'abcXYZ09._:-'), minLength: 1, maxLength: 64 }), text);
const color = fc.oneof(hex(6).map((h) => `#${h}`), fc.constantFrom(null, '#GGGGGG', 'red', '#fff', '#6366F1'));
const avatar = fc.oneof(fc.constantFrom(...EMOJI), fc.constantFrom('https://example.com/a.png', 'http://example.com/a.png', `https://example.com/${'a'.repeat(2040)}`, 'javascript:alert(1)', null, '😀😀', 'a'), text);
const connectorId = fc.oneof(fc.string({ unit: fc.constantFrom(...'abcXYZ09'), minLength: 1, maxLength: 64 }).map((s) => `connector_${s}`), fc.constantFrom(null, 'connector_', 'connector_a-b', 'conn_x'));
const tool = fc.record({ name: fc.oneof(fc.constantFrom('shopify_get_order', 'lookup', 'zendesk_add_public_reply'), fc.string({ unit: fc.constantFrom(...'abz09_'), minLength: 1, maxLength: 20 }), text), connector_id: connectorId }, { requiredKeys: ['name'] });
const dataSource = fc.record(
  {
    source_id: fc.oneof(fc.string({ unit: fc.constantFrom(...'abc09'), minLength: 1, maxLength: 10 }).map((s) => `source_${s}`), text),
    scope: fc.constantFrom('all', 'selected', 'some'),
    documents: fc.array(fc.oneof(fc.string({ unit: fc.constantFrom(...'abc09'), minLength: 1, maxLength: 10 }).map((s) => `doc_${s}`), text), { maxLength: 3 }),
  },
  { requiredKeys: ['source_id', 'scope'] },
);
/** Text every rule of a field accepts: storable, not blank, at most `max` UTF-16 units. */
const validText = (max: number) => fc.oneof({ weight: 4, arbitrary: plainName }, { weight: 1, arbitrary: longText(1, max) }).filter((t) => t.trim() !== '' && t.length <= max && isStorable(t));
const ident = (prefix: string) => fc.string({ unit: fc.constantFrom(...'abcXYZ09'), minLength: 1, maxLength: 20 }).map((s) => `${prefix}${s}`);

/** Field values the rules accept (the mutations and `edgy` supply the others). */
const validFields = {
  name: plainName,
  description: fc.oneof(validText(1000), fc.constant(null)),
  instructions: fc.oneof({ weight: 6, arbitrary: validText(1000) }, { weight: 1, arbitrary: longText(99_000, 100_000).filter(isStorable) }),
  instructions_html: fc.oneof(fc.constantFrom('<p>Answer <strong>politely</strong>.</p>', '<ul><li>one</li><li>two</li></ul>', '<script>alert(1)</script><p>Hello</p>', '<img src=x onerror=alert(1)><p>x</p>'), fc.constant(null)),
  prompt_id: fc.oneof(fc.string({ unit: fc.constantFrom(...'abcXYZ019_.:-'), minLength: 1, maxLength: 40 }), fc.constant(null)),
  model: fc.oneof(fc.constantFrom('gpt-5', 'gpt-5-mini', 'o4:mini-2025.01'), fc.constant(null)),
  color: fc.oneof(hex(6).map((h) => `#${h}`), fc.constant(null)),
  avatar: fc.oneof(fc.constantFrom(...EMOJI), fc.constantFrom('https://example.com/a.png', 'https://cdn.example.com:8443/x/y.png?size=2#top'), fc.constant(null)),
  include_system_prompt: fc.boolean(),
  tools: fc.array(fc.record({ name: fc.string({ unit: fc.constantFrom(...'abz09_'), minLength: 1, maxLength: 20 }).map((n) => `t${n}`), connector_id: fc.oneof(ident('connector_'), fc.constant(null)) }, { requiredKeys: ['name'] }), { maxLength: 4 }),
  sub_agents: fc.uniqueArray(fc.constantFrom(SUB_A, SUB_B), { maxLength: 2 }),
  data_sources: fc.array(fc.oneof(fc.record({ source_id: ident('source_'), scope: fc.constant('all') }), fc.record({ source_id: ident('source_'), scope: fc.constant('selected'), documents: fc.array(ident('doc_'), { minLength: 1, maxLength: 3 }) })), { maxLength: 2 }),
  phone_number_id: fc.constantFrom(PHONE, PHONE, null),
};

/** Field values of every kind, most of which some rule refuses. */
const edgyFields = {
  name: textField,
  description: fc.oneof(textField, fc.constant(null), longText(990, 1010)),
  instructions,
  instructions_html: fc.oneof(html, fc.constant(null)),
  prompt_id: fc.oneof(promptId, fc.constant(null)),
  model,
  color,
  avatar,
  include_system_prompt: fc.boolean(),
  tools: fc.array(tool, { maxLength: 4 }),
  connectors: fc.array(connectorId, { maxLength: 3 }),
  sub_agents: fc.uniqueArray(fc.constantFrom(SUB_A, SUB_B), { maxLength: 2 }),
  data_sources: fc.array(dataSource, { maxLength: 2 }),
  phone_number_id: fc.constantFrom(PHONE, PHONE, null),
};

const createBody: fc.Arbitrary<Members> = fc
  .oneof(
    { weight: 3, arbitrary: fc.record({ handle, ...validFields }, { requiredKeys: ['handle', 'name', 'instructions'] }) },
    { weight: 1, arbitrary: fc.record({ handle: anyHandle, ...edgyFields }, { requiredKeys: ['handle', 'name', 'instructions'] }) },
  )
  .map(members);
const createBodies = bodies(createBody, CREATE_FIELDS);

const updateBody: fc.Arbitrary<Members> = fc
  .oneof(
    { weight: 3, arbitrary: fc.record({ handle, ...validFields, is_active: fc.boolean() }, { requiredKeys: [] }) },
    {
      weight: 1,
      arbitrary: fc.record(
        { handle: anyHandle, ...edgyFields, sub_agents: fc.uniqueArray(fc.constantFrom(SUB_A, SUB_B, SELF), { maxLength: 2 }), is_active: fc.boolean(), deactivated_reason: fc.oneof(textField, fc.constant(null)) },
        { requiredKeys: [] },
      ),
    },
  )
  .map(members);
const updateBodies = bodies(updateBody, UPDATE_FIELDS);
type NumberTarget = 'fresh' | 'bare' | 'held' | 'bob' | 'other' | 'random';
const numberTarget = fc.oneof({ weight: 8, arbitrary: fc.constant<NumberTarget>('fresh') }, { weight: 1, arbitrary: fc.constantFrom<NumberTarget>('bare', 'held', 'bob', 'other', 'random') });
async function numberFor(target: NumberTarget): Promise<string> {
  const { gw } = world;
  if (target === 'fresh') return freshNumber();
  if (target === 'bare') return (await freshNumber()).slice('pn_'.length);
  if (target === 'held') return heldNumber;
  if (target === 'bob') return gw.numbers.bob.id;
  if (target === 'other') return gw.numbers.other.id;
  return 'pn_0123456789abcdef01234567';
}
const bareOr = (id: string, bare: boolean) => (bare ? id.slice(id.indexOf('_') + 1) : id);

// ---------------------------------------------------------------------------------------------

describe('org dialect write routes under fuzzing', () => {
  it(`POST /api/v1/agents, random and mutated bodies, headers, keys and query strings: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(envelope, createBodies, numberTarget, fc.boolean(), async (e, fuzz: FuzzBody, target, bare) => {
        const phone = await numberFor(target);
        await check({
          method: 'POST',
          path: '/api/v1/agents',
          envelope: e,
          body: render(fuzz, { [PHONE]: phone, [SUB_A]: bareOr(subAgentA, bare), [SUB_B]: subAgentB }),
          readBack: async (answer, sent) => {
            expect(answer.status).toBe(201);
            const ack = (answer.json as { data: Record<string, unknown> }).data;
            matchesSent(ack, asRecord(sent), CREATE_FIELDS);
            await readsBack(ack, e.key);
          },
        });
      }),
      runs(100),
    );
  });

  it(`PATCH /api/v1/agents/{id}, random and mutated bodies, ids (prefixed, bare, legacy-chosen, another org's) and headers: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(
        envelope,
        updateBodies,
        fc.oneof({ weight: 8, arbitrary: fc.constant(fixtureAgent) }, { weight: 3, arbitrary: pathId('agent', [fixtureAgent, deletedAgent, otherAgent, legacyChosen]) }),
        numberTarget,
        async (e, fuzz, id, target) => {
          const phone = await numberFor(target);
          await check({
            method: 'PATCH',
            path: `/api/v1/agents/${id}`,
            envelope: e,
            body: render(fuzz, { [PHONE]: phone, [SUB_A]: subAgentA, [SUB_B]: subAgentB, [SELF]: id }),
            readBack: async (answer, sent) => {
              expect(answer.status).toBe(200);
              const ack = (answer.json as { data: Record<string, unknown> }).data;
              matchesSent(ack, asRecord(sent), UPDATE_FIELDS);
              await readsBack(ack, e.key);
            },
          });
        },
      ),
      runs(80),
    );
  });

  it(`DELETE /api/v1/agents/{id}, ids, headers and stray bodies: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(
        envelope,
        fc.oneof({ weight: 6, arbitrary: fc.constant('new') }, { weight: 3, arbitrary: pathId('agent', [deletedAgent, otherAgent, subAgentB]) }),
        fc.boolean(),
        fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('{"id":"x"}', '{', 'null') }),
        async (e, which, bare, stray) => {
          const id = which === 'new' ? bareOr(await newAgent(), bare) : which;
          await check({
            method: 'DELETE',
            path: `/api/v1/agents/${id}`,
            envelope: e,
            body: stray,
            readBack: async (answer) => {
              expect(answer.status).toBe(200);
              const data = (answer.json as { data: { id: string } }).data;
              expect(data).toEqual({ id: data.id, deleted: true });
              expect([id, `agent_${id}`]).toContain(data.id);
              // Gone in both dialects; a second delete is 404 (§4).
              const org = await call({ method: 'GET', path: `/api/v1/agents/${data.id}`, headers: orgHeaders(tokenOf(e.key)) });
              expect(org.status).toBe(404);
              const legacy = await call({ method: 'GET', path: `/v1/users/${world.gw.alice.id}/agents/${data.id}`, headers: { 'x-api-key': world.gw.tokens.full } });
              expect(legacy.status).toBe(404);
              const again = await call({ method: 'DELETE', path: `/api/v1/agents/${data.id}`, headers: orgHeaders(tokenOf(e.key)) });
              expect(again.status).toBe(404);
            },
          });
        },
      ),
      runs(50),
    );
  });

  it(`bodies just under, at and just over MAX_BODY_BYTES on the one connection, POST and PATCH: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(sizeAroundLimit, fc.constantFrom('POST', 'PATCH'), fc.constantFrom('spaces', 'instructions'), async (size, method, filler) => {
        const e: Envelope = { key: 'full', contentType: 'application/json', idempotencyKey: undefined, requestId: undefined, query: '' };
        const base: Record<string, unknown> = method === 'POST' ? { handle: `big${nextMetaId()}`, name: 'Big', instructions: 'x' } : { name: 'Big patch', instructions: 'x' };
        let body: Buffer;
        if (filler === 'spaces') body = padTo(JSON.stringify(base), size);
        else {
          // The size is made of instructions text: over 100,000 characters, so a 422 names it.
          const overhead = Buffer.byteLength(JSON.stringify(base)) - 1;
          body = Buffer.from(JSON.stringify({ ...base, instructions: 'x'.repeat(size - overhead) }));
        }
        expect(body.length).toBe(size);
        const answer = await check({
          method: method as 'POST' | 'PATCH',
          path: method === 'POST' ? '/api/v1/agents' : `/api/v1/agents/${fixtureAgent}`,
          envelope: e,
          body,
          readBack: async (ok) => {
            const ack = (ok.json as { data: Record<string, unknown> }).data;
            await readsBack(ack, 'full');
          },
        });
        expect(answer.status === 413, answer.text.slice(0, 200)).toBe(size > MAX_BODY_BYTES);
        if (size <= MAX_BODY_BYTES) expect(answer.status).toBe(filler === 'spaces' ? (method === 'POST' ? 201 : 200) : 422);
        expect((await call({ method: 'GET', path: '/healthz' })).status).toBe(200);
      }),
      runs(20),
    );
  });

  it('X-Request-ID with CR, LF, obsolete folding or NUL, written raw on a kept-alive socket: P1 no 5xx, connection kept or closed cleanly · P2 no header is injected, errors in org shape · P3 a refusal writes nothing', async () => {
    const { gw } = world;
    await fc.assert(
      fc.asyncProperty(injectedRequestIdLine, async (line) => {
        const body = JSON.stringify({ description: 'Injected' });
        const head = `PATCH /api/v1/agents/${fixtureAgent} HTTP/1.1\r\nHost: 127.0.0.1\r\nauthorization: Bearer ${gw.tokens.full}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${line}\r\n\r\n${body}`;
        await checkInjectedRequestId(world, { head, line, isDialectError: isOrgError, abandoned, secrets });
      }),
      runs(25),
    );
    expect((await call({ method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it(`one Idempotency-Key reused across bodies, routes and both dialects by one API key: P1 no 5xx · P2 409 idempotency_key_reused in each dialect's shape · P3 a replay or a conflict writes nothing · P4 a replay is the stored answer, byte for byte`, async () => {
    last = null;
    const { gw } = world;
    type Route = 'org POST agents' | 'org PATCH agent' | 'legacy POST phone_numbers' | 'legacy PATCH phone_number';
    const step = fc.record({
      route: fc.constantFrom<Route>('org POST agents', 'org PATCH agent', 'legacy POST phone_numbers', 'legacy PATCH phone_number'),
      body: fc.constantFrom('a', 'a', 'b', 'invalid', 'junk'),
      requestId: fc.option(requestId, { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 6 }), fc.uuid(), async (steps, key) => {
        const tag = nextMetaId();
        let stored: { fingerprint: string; status: number; text: string } | null = null;
        for (const s of steps) {
          const legacy = s.route.startsWith('legacy');
          const raw =
            s.body === 'junk'
              ? '{"'
              : s.route === 'org POST agents'
                ? JSON.stringify(s.body === 'invalid' ? { handle: '1bad', name: 'X', instructions: 'x' } : { handle: `idem${s.body}${tag}`, name: s.body, instructions: 'Help.' })
                : s.route === 'org PATCH agent'
                  ? JSON.stringify(s.body === 'invalid' ? { color: 'red' } : { description: `${s.body} ${tag}` })
                  : s.route === 'legacy POST phone_numbers'
                    ? JSON.stringify(s.body === 'invalid' ? { platform: 'fax', meta_phone_number_id: tag, access_token: 'EAAG-idempotency-fixture' } : { platform: 'whatsapp', meta_phone_number_id: `${tag}${s.body === 'a' ? 1 : 2}`, access_token: 'EAAG-idempotency-fixture' })
                    : JSON.stringify(s.body === 'invalid' ? { display_name: '' } : { display_name: `${s.body} ${tag}` });
          const method = s.route.includes('POST') ? 'POST' : 'PATCH';
          const path =
            s.route === 'org POST agents' ? '/api/v1/agents' : s.route === 'org PATCH agent' ? `/api/v1/agents/${fixtureAgent}` : s.route === 'legacy POST phone_numbers' ? `/v1/users/${gw.alice.id}/phone_numbers` : `/v1/users/${gw.alice.id}/phone_numbers/${legacyNumber}`;
          const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': key, ...(legacy ? { 'x-api-key': gw.tokens.full } : { authorization: `Bearer ${gw.tokens.full}` }), ...(s.requestId !== undefined ? { 'x-request-id': s.requestId } : {}) };
          const before = await baseline();
          const answer = await call({ method, path, headers, body: raw });
          const after = await world.snapshot();
          last = after;
          const fingerprint = `${method} ${path} ${raw}`;
          const context = `${fingerprint} → ${answer.status} ${answer.text.slice(0, 200)}`;
          expect(requestIdMatches(s.requestId, answer.headers['x-request-id'] as string | undefined), context).toBe(true);
          if (s.body === 'junk') {
            // A body that is not JSON is refused before the key is looked at (§2 pipeline), and releases nothing it took.
            expect(answer.status, context).toBe(400);
            expect(after, context).toEqual(before);
          } else if (stored !== null) {
            // P3: nothing is written again.
            expect(after, context).toEqual(before);
            if (fingerprint === stored.fingerprint) {
              expect([answer.status, answer.text], context).toEqual([stored.status, stored.text]);
              expect(answer.headers['idempotent-replayed'], context).toBe('true');
            } else {
              expect(answer.status, context).toBe(409);
              if (legacy) expect(answer.json, context).toMatchObject({ error: 'Conflict', message: 'Idempotency-Key was already used with a different request' });
              else expect((answer.json as { error: { code: string } }).error.code, context).toBe('idempotency_key_reused');
            }
          } else if (answer.status >= 200 && answer.status < 300) {
            expect(answer.headers['idempotent-replayed'], context).toBeUndefined();
            stored = { fingerprint, status: answer.status, text: answer.text };
          } else {
            // Any other outcome releases the key, and writes nothing.
            expect(after, context).toEqual(before);
          }
          if (answer.status >= 300) expect(legacy ? isLegacyError(answer.status, answer.json) : isOrgError(answer.status, answer.json), context).toBe(true);
          expect(leakedSecret(secrets, answer.text), context).toBeNull();
        }
      }),
      runs(25),
    );
  });

  it('R4 after all of the above: every live handle matches the pattern and is unique case-insensitively in its org; P5 no secret in any log line', async () => {
    const snap = await world.snapshot();
    const live = snap.agents.filter((a) => a.deleted_at === null);
    for (const agent of live) expect(String(agent.handle)).toMatch(R4);
    const keys = live.map((a) => `${a.org_id} ${String(a.handle).toLowerCase()}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(leakedSecret(secrets, ...world.logs)).toBeNull();
    expect(world.gw.unexpected.filter((u) => !abandoned.has(u.requestId))).toEqual([]);
  });
});

/** Request ids of requests whose connection node:http dropped under them (the defect kept in fuzz-legacy.test.ts). */
const abandoned = new Set<string>();
