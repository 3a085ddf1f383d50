import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '@gateway/http';
import {
  ACCESS_TOKEN_MARK,
  accessToken,
  bodies,
  contentType,
  idempotencyKey,
  injectedRequestIdLine,
  isValidIdempotencyKey,
  leakedSecret,
  members,
  metaId,
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
import { isLegacyError, startWorld, type Answer, type RawRequest, type World } from '../src/world';

/**
 * Property-based fuzzing of every write route of the legacy dialect (`/v1/users/{user_id}/…`):
 * random and mutated bodies, content types, Idempotency-Keys, X-Request-IDs, keys, ids and query
 * strings, all over the one kept-alive connection of the world. Each case checks:
 *
 * - P1 never a 5xx, and the connection is never dropped or told to close;
 * - P2 every non-2xx is a legacy error body (§3) whose title fits its status, with the status the
 *   contract names where the request decides it (401, 403, 404 user, 413, 415, bad Idempotency-Key);
 * - P3 a refused request changes nothing in the database;
 * - P4 what a 2xx acknowledged reads back identical, in both dialects;
 * - P5 no access token or API token ever appears in a response body or in the gateway's logs.
 */

const P = 'P1 no 5xx, connection kept · P2 legacy error shape and status · P3 a refusal writes nothing · P4 a 2xx reads back identical in both dialects · P5 no secret in bodies or logs';

let world: World;
let readOnly: string;
let fixtureAgent: string;
let heldNumber: string;
let fixtureNumber: string;
let deletedAgent: string;
let deletedNumber: string;
let bobAgent: string;
let otherAgent: string;
/** Every token that must never be shown: API tokens, seeded and fuzzed access tokens. */
const secrets = new Set<string>();

let counter = 0;
/** A Meta id no fuzzed one can take (those start with 9). */
const nextMetaId = () => `8${String(process.pid).padStart(7, '0')}${String(++counter).padStart(6, '0')}`;
const addNumber = async () => (await world.gw.addNumber(world.gw.alice.id, nextMetaId())).id;

/**
 * Numbers of Alice's and agents on numbers of hers, made before the properties run, so that a case
 * that needs a new one reads it from here instead of writing (the database is then exactly as the
 * previous case left it, and one snapshot per case does).
 */
const pool = { numbers: [] as string[], agents: [] as string[] };
async function freshNumber(): Promise<string> {
  const id = pool.numbers.pop();
  if (id !== undefined) return id;
  last = null;
  return addNumber();
}
async function newAgent(): Promise<string> {
  const id = pool.agents.pop();
  if (id !== undefined) return id;
  last = null;
  const phone = await addNumber();
  return (await made({ method: 'POST', path: `/v1/users/${world.gw.alice.id}/agents`, headers: legacyHeaders(world.gw.tokens.full), body: JSON.stringify({ phone_number_id: phone, prompt_id: 'p1', name: 'To delete' }) })).agent_id as string;
}

const legacyHeaders = (token: string, extra: Record<string, string> = {}) => ({ 'x-api-key': token, 'content-type': 'application/json', ...extra });
const orgHeaders = () => ({ authorization: `Bearer ${world.gw.tokens.full}` });

async function call(request: RawRequest): Promise<Answer> {
  const answer = await world.request(request);
  expect(answer.status, `${request.method} ${request.path}: ${answer.text.slice(0, 500)}`).toBeLessThan(500);
  return answer;
}

async function made(request: RawRequest, status = 201): Promise<Record<string, unknown>> {
  const answer = await call(request);
  expect(answer.status, answer.text).toBe(status);
  return answer.json as Record<string, unknown>;
}

beforeAll(async () => {
  world = await startWorld({ plan: 'enterprise' });
  const { gw } = world;
  readOnly = await gw.tokens.withScopes(['agents:read', 'phone_numbers:read', 'conversations:read']);
  for (const token of [gw.tokens.full, gw.tokens.alice, gw.tokens.bob, gw.tokens.other, gw.tokens.revoked, gw.tokens.expired, gw.tokens.unknown, readOnly]) secrets.add(token);
  for (const token of ['EAAG-alice-secret', 'EAAG-alice-secret-2', 'IGQ-bob-secret', 'EAAG-carol-secret', 'EAAG-some-secret']) secrets.add(token);

  const alice = `/v1/users/${gw.alice.id}`;
  const agent = async (phone: string, name: string) =>
    (await made({ method: 'POST', path: `${alice}/agents`, headers: legacyHeaders(gw.tokens.full), body: JSON.stringify({ phone_number_id: phone, prompt_id: 'prompt_v1', name }) })).agent_id as string;
  fixtureAgent = await agent(await freshNumber(), 'Fixture');
  heldNumber = await freshNumber();
  await agent(heldNumber, 'Holder');
  deletedAgent = await agent(await freshNumber(), 'Gone');
  await made({ method: 'DELETE', path: `${alice}/agents/${deletedAgent}`, headers: legacyHeaders(gw.tokens.full) }, 200);
  const number = async () => {
    const token = `EAAG-fixture-${nextMetaId()}`;
    secrets.add(token);
    return (await made({ method: 'POST', path: `${alice}/phone_numbers`, headers: legacyHeaders(gw.tokens.full), body: JSON.stringify({ platform: 'whatsapp', meta_phone_number_id: nextMetaId(), access_token: token, display_name: 'Front desk' }) })).id as string;
  };
  fixtureNumber = await number();
  deletedNumber = await number();
  await made({ method: 'DELETE', path: `${alice}/phone_numbers/${deletedNumber}`, headers: legacyHeaders(gw.tokens.full) }, 200);
  const org = async (token: string, phone: string) =>
    ((await made({ method: 'POST', path: '/api/v1/agents', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ handle: `h${nextMetaId()}`, name: 'Org made', instructions: 'Help.', phone_number_id: phone }) })).data as { id: string }).id;
  bobAgent = await org(gw.tokens.full, gw.numbers.bob.id);
  otherAgent = await org(gw.tokens.other, gw.numbers.other.id);
  for (let i = 0; i < 60 * RUNS_FACTOR; i += 1) pool.agents.push(await newAgent());
  for (let i = 0; i < 240 * RUNS_FACTOR; i += 1) pool.numbers.push(await addNumber());
});

afterAll(async () => {
  if (process.env.FUZZ_STATS) console.log(JSON.stringify(stats, null, 1));
  await world?.close();
});

/** With FUZZ_STATS set, how the cases of each route were answered (to see that the fuzzing reaches the 2xx side). */
const stats: Record<string, Record<string, number>> = {};
function tally(route: string, answer: Answer) {
  const key = answer.status >= 300 ? `${answer.status} ${(answer.json as { message?: string } | undefined)?.message?.slice(0, 60) ?? ''}` : String(answer.status);
  const forRoute = (stats[route] ??= {});
  forRoute[key] = (forRoute[key] ?? 0) + 1;
}

// ---------------------------------------------------------------------------------------------
// What a case sends

type KeyKind = 'full' | 'alice' | 'bob' | 'other' | 'readOnly' | 'revoked' | 'expired' | 'unknown' | 'none' | 'garbage' | 'bearer';
const keyKind: fc.Arbitrary<KeyKind> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<KeyKind>('full') },
  { weight: 3, arbitrary: fc.constant<KeyKind>('alice') },
  { weight: 3, arbitrary: fc.constantFrom<KeyKind>('bob', 'other', 'readOnly', 'revoked', 'expired', 'unknown', 'none', 'garbage', 'bearer') },
);

type UserKind = 'alice' | 'bob' | 'carol' | 'random';
const userKind: fc.Arbitrary<UserKind> = fc.oneof({ weight: 12, arbitrary: fc.constant<UserKind>('alice') }, { weight: 1, arbitrary: fc.constantFrom<UserKind>('bob', 'carol', 'random') });

interface Envelope {
  key: KeyKind;
  user: UserKind;
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
      key: fc.constantFrom<KeyKind>('full', 'alice'),
      user: fc.constant<UserKind>('alice'),
      contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8'),
      idempotencyKey: fc.option(fc.uuid(), { nil: undefined }),
      requestId: fc.option(requestId, { nil: undefined }),
      query: fc.constant(''),
    }),
  },
  { weight: 2, arbitrary: fc.record({ key: keyKind, user: userKind, contentType, idempotencyKey, requestId, query: queryString }) },
);

function userId(kind: UserKind): string {
  const { gw } = world;
  return kind === 'alice' ? gw.alice.id : kind === 'bob' ? gw.bob.id : kind === 'carol' ? gw.carol.id : 'usr_00000000ffffffffffffffff';
}

function headersOf(e: Envelope, method: string): Record<string, string> {
  const { tokens } = world.gw;
  const headers: Record<string, string> = {};
  const token: Record<KeyKind, string | null> = {
    full: tokens.full,
    alice: tokens.alice,
    bob: tokens.bob,
    other: tokens.other,
    readOnly,
    revoked: tokens.revoked,
    expired: tokens.expired,
    unknown: tokens.unknown,
    none: null,
    garbage: 'sk_live_not-a-key',
    bearer: null,
  };
  const value = token[e.key];
  if (value !== null) headers['x-api-key'] = value;
  if (e.key === 'bearer') headers.authorization = `Bearer ${tokens.full}`;
  if (method !== 'DELETE' && e.contentType !== undefined) headers['content-type'] = e.contentType;
  if (e.idempotencyKey !== undefined) headers['idempotency-key'] = e.idempotencyKey;
  if (e.requestId !== undefined) headers['x-request-id'] = e.requestId;
  return headers;
}

/** Media types the contract certainly calls JSON, and ones it certainly does not. */
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-8', 'application/vnd.api+json', 'application/merge-patch+json', ' application/json ']);
const NOT_JSON_TYPES = new Set([undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '*/*', 'json']);

const sizeOf = (body: string | Buffer | undefined) => (body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length);

/**
 * The status the contract fixes for a request before its body's meaning is looked at, following
 * the pipeline (401 → 403 → 404 user → 415/413 → 400 Idempotency-Key), or null when it depends on
 * the body or the data.
 */
function decidedStatus(e: Envelope, method: string, body: string | Buffer | undefined, userIsVisible: boolean): number | null {
  if (['revoked', 'expired', 'unknown', 'none', 'garbage'].includes(e.key)) return 401;
  if (e.key === 'bearer') return null;
  if (e.key === 'readOnly') return 403;
  const visible = e.user === 'alice' ? ['full', 'alice'].includes(e.key) : e.user === 'bob' ? ['full', 'bob'].includes(e.key) : e.user === 'carol' ? e.key === 'other' : false;
  if (!visible || !userIsVisible) return 404;
  if (method === 'DELETE') return null;
  if (NOT_JSON_TYPES.has(e.contentType)) return 415;
  if (!JSON_TYPES.has(e.contentType as string)) return null;
  if (sizeOf(body) > MAX_BODY_BYTES) return 413;
  if (e.idempotencyKey !== undefined && !isValidIdempotencyKey(e.idempotencyKey)) return 400;
  return null;
}

/** A path whose segments are all there and none is a dot segment: it reaches the route it names (else the route 404 answers first). */
const routable = (path: string) => path.split('/').slice(1).every((segment) => segment !== '' && !/^(\.|%2e){1,2}$/i.test(segment));

// ---------------------------------------------------------------------------------------------
// The checks of every case

/** The database as the previous case left it, or null when something was written since. */
let last: Snapshot | null = null;
const baseline = async () => (last ??= await world.snapshot());

interface Case {
  method: 'POST' | 'PATCH' | 'DELETE';
  path: string;
  envelope: Envelope;
  body: string | Buffer | undefined;
  /** The path's user is one the seeded world has (false for a random user id). */
  userIsVisible?: boolean;
  /** Checks a 2xx against what reads back (P4); the request's parsed body is given. */
  readBack(answer: Answer, sent: unknown): Promise<void>;
}

async function check(c: Case): Promise<Answer> {
  const before = await baseline();
  const logsAt = world.logs.length;
  const headers = headersOf(c.envelope, c.method);
  const request: RawRequest = { method: c.method, path: `${c.path}${c.envelope.query}`, headers, ...(c.body !== undefined ? { body: c.body } : {}) };
  const answer = await call(request);
  const context = `${c.method} ${request.path} → ${answer.status} ${answer.text.slice(0, 300)}`;
  tally(`${c.method} ${c.path.replace(/\/users\/[^/]+/, '/users/:u').replace(/(agents|phone_numbers)\/.*/, '$1/:id')}`, answer);

  // P1: the connection stays open for the next request.
  expect(answer.headers.connection, context).not.toBe('close');
  // §2: the request id, adopted when well-formed.
  expect(requestIdMatches(c.envelope.requestId, answer.headers['x-request-id'] as string | undefined), `${context} x-request-id ${answer.headers['x-request-id']}`).toBe(true);
  expect(answer.headers['x-correlation-id']).toBe(answer.headers['x-request-id']);

  const decided = routable(c.path) ? decidedStatus(c.envelope, c.method, c.body, c.userIsVisible ?? true) : null;
  if (decided !== null) expect(answer.status, context).toBe(decided);

  const after = await world.snapshot();
  if (answer.status < 200 || answer.status >= 300) {
    // P2
    expect(isLegacyError(answer.status, answer.json), context).toBe(true);
    expect((answer.json as { correlation_id: string }).correlation_id).toBe(answer.headers['x-request-id']);
    // P3
    expect(after, context).toEqual(before);
  } else if (answer.headers['idempotent-replayed'] !== 'true') {
    // P4 (a replay of an earlier case's answer tells of that case, not of this one)
    await c.readBack(answer, parsed(c.body));
    // A retry under the same Idempotency-Key replays the answer and writes nothing.
    if (c.envelope.idempotencyKey !== undefined && c.method !== 'DELETE') await expectReplayed(world, { request, answer, requestId: c.envelope.requestId, after, context });
  }
  last = after;
  // P5
  expect(leakedSecret(secrets, answer.text, ...world.logs.slice(logsAt)), context).toBeNull();
  return answer;
}

/** Reads an object in the org dialect (it sees the whole org). */
const orgGet = (path: string) => call({ method: 'GET', path: `/api/v1${path}`, headers: orgHeaders() });

/** An access token sent in a body that may be stored: it must never be shown again. */
function remember(body: string | Buffer | undefined) {
  const value = parsed(body);
  if (typeof value === 'object' && value !== null && typeof (value as { access_token?: unknown }).access_token === 'string') {
    const token = (value as { access_token: string }).access_token;
    if (token.startsWith(ACCESS_TOKEN_MARK)) secrets.add(token);
  }
}

const R4 = /^[a-zA-Z][a-zA-Z0-9]{0,63}$/;

/** P4 for an agent: the legacy GET is the acknowledged object itself; the org dialect has its fields. */
async function agentReadsBack(ack: Record<string, unknown>, user: string) {
  const legacy = await call({ method: 'GET', path: `/v1/users/${user}/agents/${encodeURIComponent(ack.agent_id as string)}`, headers: legacyHeaders(world.gw.tokens.full) });
  expect(legacy.status, legacy.text).toBe(200);
  expect(legacy.json).toEqual(ack);
  const org = await orgGet(`/agents/${encodeURIComponent(ack.agent_id as string)}`);
  expect(org.status, org.text).toBe(200);
  const data = (org.json as { data: Record<string, unknown> }).data;
  expect({ name: data.name, prompt_id: data.prompt_id, phone_number_id: data.phone_number_id }).toEqual({ name: ack.name, prompt_id: ack.prompt_id, phone_number_id: ack.phone_number_id });
  // R4: the handle derived from the name is a handle.
  expect(data.handle).toMatch(R4);
}

/** P4 for a phone number: the legacy GET is the acknowledged object itself; the org dialect has its fields. */
async function numberReadsBack(ack: Record<string, unknown>, user: string) {
  const legacy = await call({ method: 'GET', path: `/v1/users/${user}/phone_numbers/${ack.id}`, headers: legacyHeaders(world.gw.tokens.full) });
  expect(legacy.status, legacy.text).toBe(200);
  expect(legacy.json).toEqual(ack);
  const org = await orgGet(`/phone_numbers/${ack.id}`);
  expect(org.status, org.text).toBe(200);
  const data = (org.json as { data: Record<string, unknown> }).data;
  const fields = ['user_id', 'platform', 'meta_phone_number_id', 'display_name', 'waba_id'] as const;
  expect(Object.fromEntries(fields.map((f) => [f, data[f]]))).toEqual(Object.fromEntries(fields.map((f) => [f, ack[f]])));
}

/** P4 for a delete: the object is gone in both dialects. */
async function goneInBoth(kind: 'agents' | 'phone_numbers', id: string, user: string) {
  const legacy = await call({ method: 'GET', path: `/v1/users/${user}/${kind}/${id}`, headers: legacyHeaders(world.gw.tokens.full) });
  expect(legacy.status).toBe(404);
  const org = await orgGet(`/${kind}/${id}`);
  expect(org.status).toBe(404);
}

const asRecord = (value: unknown) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

// ---------------------------------------------------------------------------------------------
// Bodies

type Target = 'fresh' | 'held' | 'fixture' | 'bob' | 'other' | 'deleted' | 'random' | 'bare';
const numberTarget: fc.Arbitrary<Target> = fc.oneof(
  { weight: 10, arbitrary: fc.constant<Target>('fresh') },
  { weight: 1, arbitrary: fc.constantFrom<Target>('held', 'bob', 'other', 'deleted', 'random', 'bare') },
);

async function numberFor(target: Target): Promise<string> {
  const { gw } = world;
  switch (target) {
    case 'fresh':
    case 'bare': {
      const id = await freshNumber();
      return target === 'bare' ? id.slice('pn_'.length) : id;
    }
    case 'held':
      return heldNumber;
    case 'fixture':
      return fixtureNumber;
    case 'bob':
      return gw.numbers.bob.id;
    case 'other':
      return gw.numbers.other.id;
    case 'deleted':
      return deletedNumber;
    default:
      return 'pn_0123456789abcdef01234567';
  }
}

/** Stands for the case's phone number in a generated body. */
const PHONE_PLACEHOLDER = '<phone_number_id>';

const agentName = fc.oneof({ weight: 3, arbitrary: plainName }, { weight: 2, arbitrary: text });
const createAgentBody: fc.Arbitrary<Members> = fc
  .record(
    { phone_number_id: fc.constant(PHONE_PLACEHOLDER), prompt_id: promptId, name: agentName, agent_id: fc.string({ unit: fc.constantFrom(...'abcXYZ09_-'), minLength: 1, maxLength: 64 }) },
    { requiredKeys: ['phone_number_id', 'prompt_id', 'name'] },
  )
  .map(members);
const createAgentBodies = bodies(createAgentBody, ['phone_number_id', 'prompt_id', 'name', 'agent_id']);

const updateAgentBody: fc.Arbitrary<Members> = fc
  .record({ name: agentName, prompt_id: promptId, phone_number_id: fc.constant(PHONE_PLACEHOLDER) }, { requiredKeys: [] })
  .filter((b) => Object.keys(b).length > 0)
  .map(members);
const updateAgentBodies = bodies(updateAgentBody, ['name', 'prompt_id', 'phone_number_id']);

const displayName = fc.oneof({ weight: 3, arbitrary: plainName }, { weight: 2, arbitrary: text }, { weight: 1, arbitrary: fc.constant(null) });
const createNumberBody: fc.Arbitrary<Members> = fc
  .record(
    {
      platform: fc.constantFrom('whatsapp', 'instagram'),
      meta_phone_number_id: metaId,
      access_token: accessToken,
      display_name: displayName,
      waba_id: metaId,
    },
    { requiredKeys: ['platform', 'meta_phone_number_id', 'access_token'] },
  )
  .map(members);
const createNumberBodies = bodies(createNumberBody, ['platform', 'meta_phone_number_id', 'access_token', 'display_name', 'waba_id']);

const updateNumberBody: fc.Arbitrary<Members> = fc
  .record({ display_name: displayName, access_token: accessToken }, { requiredKeys: [] })
  .filter((b) => Object.keys(b).length > 0)
  .map(members);
const updateNumberBodies = bodies(updateNumberBody, ['display_name', 'access_token']);

// ---------------------------------------------------------------------------------------------

describe('legacy dialect write routes under fuzzing', () => {
  it(`POST /v1/users/{user_id}/agents, random and mutated bodies, headers, users and query strings: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(envelope, createAgentBodies, numberTarget, async (e, fuzz: FuzzBody, target) => {
        const phone = await numberFor(target);
        const user = userId(e.user);
        await check({
          method: 'POST',
          path: `/v1/users/${user}/agents`,
          envelope: e,
          body: render(fuzz, { [PHONE_PLACEHOLDER]: phone }),
          userIsVisible: e.user !== 'random',
          readBack: async (answer, sent) => {
            expect(answer.status).toBe(201);
            const ack = answer.json as Record<string, unknown>;
            const body = asRecord(sent);
            // What was acknowledged is what was sent (the name trimmed, R9).
            expect(ack.name).toBe((body.name as string).trim());
            expect(ack.prompt_id).toBe(body.prompt_id);
            if (typeof body.agent_id === 'string') expect(ack.agent_id).toBe(body.agent_id);
            expect(ack.user_id).toBe(user);
            await agentReadsBack(ack, user);
          },
        });
      }),
      runs(80),
    );
  });

  it(`PATCH /v1/users/{user_id}/agents/{agent_id}, random and mutated bodies, ids and headers: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(
        envelope,
        updateAgentBodies,
        fc.oneof({ weight: 8, arbitrary: fc.constant(fixtureAgent) }, { weight: 2, arbitrary: pathId('agent', [fixtureAgent, deletedAgent, bobAgent, otherAgent]) }),
        fc.oneof({ weight: 6, arbitrary: fc.constant<Target>('fresh') }, { weight: 1, arbitrary: fc.constantFrom<Target>('held', 'bob', 'other', 'deleted', 'random', 'bare') }),
        async (e, fuzz, id, target) => {
          const phone = await numberFor(target);
          const user = userId(e.user);
          await check({
            method: 'PATCH',
            path: `/v1/users/${user}/agents/${id}`,
            envelope: e,
            body: render(fuzz, { [PHONE_PLACEHOLDER]: phone }),
            userIsVisible: e.user !== 'random',
            readBack: async (answer, sent) => {
              expect(answer.status).toBe(200);
              const ack = answer.json as Record<string, unknown>;
              const body = asRecord(sent);
              if (typeof body.name === 'string') expect(ack.name).toBe(body.name.trim());
              if (typeof body.prompt_id === 'string') expect(ack.prompt_id).toBe(body.prompt_id);
              await agentReadsBack(ack, user);
            },
          });
        },
      ),
      runs(70),
    );
  });

  it(`DELETE /v1/users/{user_id}/agents/{agent_id}, ids, headers and stray bodies: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(
        envelope,
        fc.oneof({ weight: 6, arbitrary: fc.constant('new') }, { weight: 2, arbitrary: pathId('agent', [deletedAgent, bobAgent, otherAgent]) }),
        fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('{"agent_id":"x"}', '{', 'null') }),
        async (e, which, stray) => {
          const id = which === 'new' ? await newAgent() : which;
          const user = userId(e.user);
          await check({
            method: 'DELETE',
            path: `/v1/users/${user}/agents/${id}`,
            envelope: e,
            body: stray,
            userIsVisible: e.user !== 'random',
            readBack: async (answer) => {
              expect(answer.status).toBe(200);
              const ack = answer.json as { agent_id: string };
              expect(ack).toEqual({ agent_id: ack.agent_id, deleted: true });
              expect([id, `agent_${id}`]).toContain(ack.agent_id);
              await goneInBoth('agents', ack.agent_id, user);
            },
          });
        },
      ),
      runs(50),
    );
  });

  it(`POST /v1/users/{user_id}/phone_numbers, random and mutated bodies, headers and query strings: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(envelope, createNumberBodies, async (e, fuzz) => {
        const body = render(fuzz);
        remember(body);
        const user = userId(e.user);
        await check({
          method: 'POST',
          path: `/v1/users/${user}/phone_numbers`,
          envelope: e,
          body,
          userIsVisible: e.user !== 'random',
          readBack: async (answer, sent) => {
            expect(answer.status).toBe(201);
            const ack = answer.json as Record<string, unknown>;
            const body = asRecord(sent);
            expect(ack).toMatchObject({
              user_id: user,
              platform: body.platform,
              meta_phone_number_id: body.meta_phone_number_id,
              display_name: body.display_name ?? null,
              waba_id: body.waba_id ?? null,
            });
            expect(Object.keys(ack).sort()).toEqual(['created_at', 'display_name', 'id', 'meta_phone_number_id', 'platform', 'updated_at', 'user_id', 'waba_id']);
            await numberReadsBack(ack, user);
          },
        });
      }),
      runs(80),
    );
  });

  it(`PATCH /v1/users/{user_id}/phone_numbers/{id}, random and mutated bodies, ids and headers: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(
        envelope,
        updateNumberBodies,
        fc.oneof({ weight: 6, arbitrary: fc.constant(fixtureNumber) }, { weight: 2, arbitrary: pathId('pn', [fixtureNumber, deletedNumber, world.gw.numbers.bob.id, world.gw.numbers.other.id, heldNumber]) }),
        async (e, fuzz, id) => {
          const body = render(fuzz);
          remember(body);
          const user = userId(e.user);
          await check({
            method: 'PATCH',
            path: `/v1/users/${user}/phone_numbers/${id}`,
            envelope: e,
            body,
            userIsVisible: e.user !== 'random',
            readBack: async (answer, sent) => {
              expect(answer.status).toBe(200);
              const ack = answer.json as Record<string, unknown>;
              const body = asRecord(sent);
              if ('display_name' in body) expect(ack.display_name).toBe(body.display_name);
              await numberReadsBack(ack, user);
            },
          });
        },
      ),
      runs(70),
    );
  });

  it(`DELETE /v1/users/{user_id}/phone_numbers/{id}, ids, headers and stray bodies: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(
        envelope,
        fc.oneof({ weight: 6, arbitrary: fc.constant('new') }, { weight: 2, arbitrary: pathId('pn', [deletedNumber, world.gw.numbers.bob.id, world.gw.numbers.other.id, heldNumber]) }),
        fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('{"id":"x"}', '{', 'null') }),
        async (e, which, stray) => {
          const id = which === 'new' ? await freshNumber() : which;
          const user = userId(e.user);
          const answer = await check({
            method: 'DELETE',
            path: `/v1/users/${user}/phone_numbers/${id}`,
            envelope: e,
            body: stray,
            userIsVisible: e.user !== 'random',
            readBack: async (ack) => {
              expect(ack.status).toBe(200);
              const body = ack.json as { id: string };
              expect(body).toEqual({ id: body.id, deleted: true });
              expect([id, `pn_${id}`]).toContain(body.id);
              await goneInBoth('phone_numbers', body.id, user);
            },
          });
          // R3: a number with an active agent is never deleted.
          if (id === heldNumber) expect(answer.status).not.toBe(200);
        },
      ),
      runs(50),
    );
  });

  it(`bodies just under, at and just over MAX_BODY_BYTES on the one connection, on every write route: ${P}`, async () => {
    last = null;
    const { gw } = world;
    const alice = `/v1/users/${gw.alice.id}`;
    await fc.assert(
      fc.asyncProperty(sizeAroundLimit, fc.constantFrom('POST agents', 'PATCH agents', 'POST phone_numbers', 'PATCH phone_numbers', 'DELETE agents'), fc.boolean(), async (size, route, inField) => {
        const e: Envelope = { key: 'full', user: 'alice', contentType: 'application/json', idempotencyKey: undefined, requestId: undefined, query: '' };
        const fields: Record<string, Record<string, unknown>> = {
          'POST agents': { phone_number_id: await freshNumber(), prompt_id: 'p1', name: 'Big' },
          'PATCH agents': { name: 'Big patch' },
          'POST phone_numbers': { platform: 'whatsapp', meta_phone_number_id: nextMetaId(), access_token: `${ACCESS_TOKEN_MARK}big${nextMetaId()}` },
          'PATCH phone_numbers': { display_name: 'Big desk' },
          'DELETE agents': {},
        };
        const base = fields[route] as Record<string, unknown>;
        remember(JSON.stringify(base));
        // The size is made of spaces, or of an ignored field's text.
        const json = inField ? JSON.stringify({ ...base, padding: '' }) : JSON.stringify(base);
        const body = inField ? Buffer.from(JSON.stringify({ ...base, padding: 'x'.repeat(size - Buffer.byteLength(json)) })) : padTo(json, size);
        expect(body.length).toBe(size);
        const [method, kind] = route.split(' ') as ['POST' | 'PATCH' | 'DELETE', string];
        const path =
          route === 'PATCH agents' ? `${alice}/agents/${fixtureAgent}` : route === 'PATCH phone_numbers' ? `${alice}/phone_numbers/${fixtureNumber}` : route === 'DELETE agents' ? `${alice}/agents/agent_0123456789abcdef01234567` : `${alice}/${kind}`;
        const answer = await check({
          method,
          path,
          envelope: e,
          body,
          readBack: async (ok) => {
            const ack = ok.json as Record<string, unknown>;
            if (kind === 'agents') await agentReadsBack(ack, gw.alice.id);
            else await numberReadsBack(ack, gw.alice.id);
          },
        });
        if (method !== 'DELETE') expect(answer.status === 413).toBe(size > MAX_BODY_BYTES);
        else expect(answer.status).toBe(404);
        const health = await call({ method: 'GET', path: '/healthz' });
        expect(health.status).toBe(200);
      }),
      runs(20),
    );
  });

  it(`X-Request-ID with CR, LF, obsolete folding or NUL, written raw on a kept-alive socket: P1 no 5xx, connection kept or closed cleanly · P2 no header is injected, errors in legacy shape · P3 a refusal writes nothing`, async () => {
    const { gw } = world;
    await fc.assert(
      fc.asyncProperty(injectedRequestIdLine, async (line) => {
        const body = JSON.stringify({ display_name: 'Injected' });
        const head = `PATCH /v1/users/${gw.alice.id}/phone_numbers/${fixtureNumber} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${gw.tokens.full}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${line}\r\n\r\n${body}`;
        await checkInjectedRequestId(world, { head, line, isDialectError: isLegacyError, abandoned, secrets });
      }),
      runs(25),
    );
    expect((await call({ method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('R4 after all of the above: every live handle matches the pattern and is unique case-insensitively; P5 no secret in any log line', async () => {
    const snap = await world.snapshot();
    const live = snap.agents.filter((a) => a.deleted_at === null);
    for (const agent of live) expect(String(agent.handle)).toMatch(R4);
    const keys = live.map((a) => `${a.org_id} ${String(a.handle).toLowerCase()}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(leakedSecret(secrets, ...world.logs)).toBeNull();
    expect(world.gw.unexpected.filter((u) => !abandoned.has(u.requestId))).toEqual([]);
  });
});

/** Request ids of requests whose connection node:http dropped under them (the defect below). */
const abandoned = new Set<string>();

describe('defects the fuzzing found', () => {
  /** Writes `bytes` on a new connection, half-closes it, and waits for the server to close. */
  function hangUp(bytes: string): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect(world.port, '127.0.0.1', () => socket.end(bytes));
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('close', () => resolve(answer));
      socket.on('error', () => resolve(answer));
    });
  }

  // Found by the raw X-Request-ID property on PostgreSQL (`X-Request-ID: ab\r\n\r\nX-Evil: 1`,
  // which leaves a malformed second request behind the first), shrunk to its cause: the client
  // is gone before the handler reads the body. The gateway then reports an unexpected error
  // ("TypeError: Response body object should not be disturbed or locked", from reading the
  // request body in packages/http/src/body.ts) and logs the request as a 500: a client hanging
  // up is not a failure of the server (contract §2/§6: no 5xx; the log line's status is the
  // answer's). On PostgreSQL a complete request whose client half-closes after sending it fails
  // the same way, and is never answered.
  it('a client that hangs up during or right after its request body is not an unexpected error, and is not logged as a 5xx', async () => {
    const { gw } = world;
    const body = JSON.stringify({ display_name: 'Hung up' });
    const unexpectedBefore = gw.unexpected.length;
    for (const [id, sent] of [
      ['hangup-mid-body', body.slice(0, 5)],
      ['hangup-after-body', body],
    ] as const) {
      const logsAt = world.logs.length;
      await hangUp(
        `PATCH /v1/users/${gw.alice.id}/phone_numbers/${fixtureNumber} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${gw.tokens.full}\r\ncontent-type: application/json\r\nx-request-id: ${id}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${sent}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const logged = world.logs.slice(logsAt).map((line) => JSON.parse(line) as { request_id?: string; status?: number }).filter((line) => line.request_id === id);
      expect(logged.map((line) => line.status).filter((status) => (status ?? 0) >= 500), id).toEqual([]);
    }
    expect(gw.unexpected.slice(unexpectedBefore).map((u) => `${u.requestId}: ${String(u.error)}`)).toEqual([]);
  });
});
