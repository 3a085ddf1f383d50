import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign as signWith, whatsappDelivery as metaDelivery } from '@gateway/gateway/testing/webhooks';
import { MAX_BODY_BYTES } from '@gateway/http';
import {
  contentType,
  deepMutation,
  mutateDeep,
  hex,
  isStorable,
  junkBody,
  jsonStyle,
  jsonTree,
  leakedSecret,
  longText,
  members,
  padTo,
  requestId,
  requestIdMatches,
  shortText,
  sizeAroundLimit,
  text,
  writeJson,
  type JsonTree,
} from '../src/arbitraries';
import { runs, RUNS_FACTOR } from '../src/runs';
import type { Snapshot } from '../src/snapshot';
import { APP_SECRET, startWorld, VERIFY_TOKEN, type Answer, type RawRequest, type World } from '../src/world';

/**
 * Property-based fuzzing of `POST /webhooks/meta` (contract §5, docs/webhooks.md): signed WhatsApp
 * and Instagram deliveries carrying text of every kind, deliveries mutated at every level, random
 * JSON and junk, signatures missing, wrong or malformed, bodies around 1 MiB, odd content types
 * and X-Request-IDs, all over the one kept-alive connection of the world. Each case checks:
 *
 * - P1 never a 5xx, and the connection is never dropped or told to close;
 * - P2 the answer is 200 `{"status":"received"}` for anything signed that is JSON, and otherwise
 *   the webhook's error body `{"error": {code, message, request_id}}` with its status (400
 *   `invalid_json`, 401 `unauthorized`, 405 `method_not_allowed`, 413 `payload_too_large`);
 * - P3 a refused delivery, and an acknowledged one holding nothing to store, changes nothing;
 * - P4 every accepted message reads back with its text identical, through the messages endpoints
 *   of both dialects, stored once however often its id repeats; nothing else is stored;
 * - P5 no secret (app secret, verify token, access tokens, API tokens), and no message text, ever
 *   appears in a response body or in the gateway's logs.
 */

const P = 'P1 no 5xx, connection kept · P2 200 received or the webhook error shape · P3 nothing stored unless accepted · P4 accepted text reads back identical in both dialects · P5 no secret or message text in bodies or logs';

interface Channel {
  id: string;
  metaId: string;
  platform: 'whatsapp' | 'instagram';
  owner: string;
}

let world: World;
const secrets = new Set<string>([APP_SECRET, VERIFY_TOKEN]);
/** Numbers no delivery has reached yet (a third of them with an active agent), used up one per case. */
const pool: Channel[] = [];

let counter = 0;
const nextMetaId = () => `8${String(process.pid).padStart(7, '0')}${String(++counter).padStart(6, '0')}`;

async function call(request: RawRequest): Promise<Answer> {
  const answer = await world.request(request);
  expect(answer.status, `${request.method} ${request.path}: ${answer.text.slice(0, 500)}`).toBeLessThan(500);
  return answer;
}

async function addChannel(platform: 'whatsapp' | 'instagram', withAgent: boolean): Promise<Channel> {
  const { gw } = world;
  const owner = platform === 'whatsapp' ? gw.alice.id : gw.bob.id;
  const metaId = nextMetaId();
  const number = await gw.addNumber(owner, metaId, platform);
  if (withAgent) {
    const made = await call({
      method: 'POST',
      path: '/api/v1/agents',
      headers: { authorization: `Bearer ${gw.tokens.full}`, 'content-type': 'application/json' },
      body: JSON.stringify({ handle: `wh${metaId}`, name: 'Desk', instructions: 'Help with orders.', phone_number_id: number.id }),
    });
    expect(made.status, made.text).toBe(201);
  }
  return { id: number.id, metaId, platform, owner };
}

/** The database as the previous case left it, or null when something was written since. */
let last: Snapshot | null = null;
const baseline = async () => (last ??= await world.snapshot());

async function channel(platform: 'whatsapp' | 'instagram'): Promise<Channel> {
  const at = pool.findIndex((c) => c.platform === platform);
  if (at !== -1) return pool.splice(at, 1)[0] as Channel;
  last = null;
  return addChannel(platform, counter % 2 === 0);
}

beforeAll(async () => {
  world = await startWorld({ plan: 'enterprise' });
  const { gw } = world;
  for (const token of [gw.tokens.full, gw.tokens.alice, gw.tokens.bob, gw.tokens.other, gw.tokens.revoked, gw.tokens.expired, gw.tokens.unknown]) secrets.add(token);
  for (const token of ['EAAG-alice-secret', 'EAAG-alice-secret-2', 'IGQ-bob-secret', 'EAAG-carol-secret', 'EAAG-some-secret']) secrets.add(token);
  for (let i = 0; i < 180 * RUNS_FACTOR; i += 1) pool.push(await addChannel(i % 3 === 0 ? 'instagram' : 'whatsapp', i % 3 === 1));
});

afterAll(async () => {
  if (process.env.FUZZ_STATS) console.log(JSON.stringify(stats, null, 1));
  await world?.close();
});

const stats: Record<string, Record<string, number>> = {};
function tally(kind: string, answer: Answer) {
  const code = (answer.json as { error?: { code?: string } } | undefined)?.error?.code ?? '';
  const forKind = (stats[kind] ??= {});
  const key = `${answer.status} ${code}`;
  forKind[key] = (forKind[key] ?? 0) + 1;
}

const sign = (body: string | Buffer, secret = APP_SECRET) => signWith(body, secret);

const WEBHOOK_CODES: Record<number, string> = { 400: 'invalid_json', 401: 'unauthorized', 405: 'method_not_allowed', 413: 'payload_too_large' };

/** The webhook's error body (apps/gateway/src/webhooks/app.ts): exactly `{error: {code, message, request_id}}`, the code its status's. */
function isWebhookError(status: number, body: unknown, requestIdHeader: unknown): boolean {
  if (typeof body !== 'object' || body === null || Object.keys(body).join() !== 'error') return false;
  const error = (body as { error: Record<string, unknown> }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    Object.keys(error).sort().join() === 'code,message,request_id' &&
    error.code === WEBHOOK_CODES[status] &&
    typeof error.message === 'string' &&
    error.request_id === requestIdHeader
  );
}

// ---------------------------------------------------------------------------------------------
// Deliveries

interface Message {
  from: string;
  id: string;
  kind: 'text' | 'image';
  text: string;
}

const customerId = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 11, maxLength: 15 }).map((d) => `1${d}`) },
  { weight: 1, arbitrary: shortText.filter((s) => s.length > 0) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(513), 'x'.repeat(512), '\u0000', '') },
);
const messageText = fc.oneof(
  { weight: 12, arbitrary: text },
  { weight: 1, arbitrary: longText(4000, 100_000) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\n', '[image]', '"quoted"', '\\u0000') },
);
/** A marker no log line may ever hold: message text is never logged. */
const marker = hex(16).map((h) => `msgmark${h}`);

const message = fc.record({
  from: customerId,
  id: fc.oneof({ weight: 8, arbitrary: hex(20).map((h) => `wamid.FZ${h}`) }, { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(600), 'wamid.\ud800') }),
  kind: fc.oneof({ weight: 5, arbitrary: fc.constant<'text'>('text') }, { weight: 1, arbitrary: fc.constant<'image'>('image') }),
  text: messageText,
});

/** Messages, some of them sent twice (Meta redelivers within a delivery too). */
const messages: fc.Arbitrary<Message[]> = fc
  .tuple(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 2 }), marker)
  .map(([list, repeats, mark]) => {
    const out = [...list, { from: '15550001111', id: `wamid.FZ${mark}`, kind: 'text' as const, text: `Hello ${mark}` }];
    for (const r of repeats) out.push({ ...(out[r % out.length] as Message) });
    return out;
  });

const whatsappDelivery = (metaId: string, list: readonly Message[]): Record<string, unknown> =>
  metaDelivery(
    metaId,
    list.map((m) =>
      m.kind === 'text'
        ? { from: m.from, id: m.id, timestamp: '1767225600', type: 'text', text: { body: m.text } }
        : { from: m.from, id: m.id, timestamp: '1767225600', type: 'image', image: { id: 'media1', mime_type: 'image/jpeg', caption: m.text } },
    ),
  );

function instagramDelivery(metaId: string, list: readonly Message[]): Record<string, unknown> {
  return {
    object: 'instagram',
    entry: [
      {
        id: metaId,
        time: 1767225600,
        messaging: list.map((m) => ({
          sender: { id: m.from },
          recipient: { id: metaId },
          timestamp: 1767225600,
          message: m.kind === 'text' ? { mid: m.id, text: m.text } : { mid: m.id, attachments: [{ type: 'image', payload: { url: 'https://example.com/x.jpg' } }], text: m.text },
        })),
      },
    ],
  };
}

const validId = (value: string) => value.length >= 1 && value.length <= 512 && isStorable(value);

/**
 * What the number's conversations must hold afterwards (docs/webhooks.md): each message once per
 * id, in arrival order, unless it holds text that is not storable or lacks a usable sender or id;
 * an image is `[image]` with its caption (trimmed) appended.
 */
function expectedTexts(platform: 'whatsapp' | 'instagram', list: readonly Message[]): Map<string, string[]> {
  const seen = new Set<string>();
  const out = new Map<string, string[]>();
  for (const m of list) {
    if (!validId(m.id) || !validId(m.from) || !isStorable(m.text) || seen.has(m.id)) continue;
    seen.add(m.id);
    const caption = m.text.trim();
    const stored = m.kind === 'text' ? m.text : caption === '' ? '[image]' : `[image] ${caption}`;
    out.set(m.from, [...(out.get(m.from) ?? []), stored]);
  }
  void platform;
  return out;
}

/** Every customer's message texts on a number, as the legacy dialect shows them and as the org dialect does. */
async function storedTexts(c: Channel): Promise<{ legacy: Map<string, string[]>; org: Map<string, string[]> }> {
  const { gw } = world;
  const legacy = new Map<string, string[]>();
  const org = new Map<string, string[]>();
  const legacyHeaders = { 'x-api-key': gw.tokens.full };
  const orgHeaders = { authorization: `Bearer ${gw.tokens.full}` };
  const list = await call({ method: 'GET', path: `/v1/users/${c.owner}/conversations?phone_number_id=${c.id}&limit=100`, headers: legacyHeaders });
  expect(list.status, list.text).toBe(200);
  for (const conversation of (list.json as { conversations: { conversation_id: string; customer_id: string }[] }).conversations) {
    const page = await call({ method: 'GET', path: `/v1/users/${c.owner}/conversations/${conversation.conversation_id}/messages?limit=100`, headers: legacyHeaders });
    expect(page.status, page.text).toBe(200);
    const texts = (page.json as { messages: { text: string; sender: string; status: string }[] }).messages.map((m) => {
      expect([m.sender, m.status]).toEqual(['user', 'received']);
      return m.text;
    });
    legacy.set(conversation.customer_id, [...(legacy.get(conversation.customer_id) ?? []), ...texts]);
  }
  const orgList = await call({ method: 'GET', path: `/api/v1/conversations?phone_number_id=${c.id}&limit=100`, headers: orgHeaders });
  expect(orgList.status, orgList.text).toBe(200);
  for (const conversation of (orgList.json as { data: { id: string; customer_id: string }[] }).data) {
    const page = await call({ method: 'GET', path: `/api/v1/conversations/${conversation.id}/messages?limit=100`, headers: orgHeaders });
    expect(page.status, page.text).toBe(200);
    const texts = (page.json as { data: { content: string; role: string }[] }).data.map((m) => {
      expect(m.role).toBe('user');
      return m.content;
    });
    org.set(conversation.customer_id, [...(org.get(conversation.customer_id) ?? []), ...texts]);
  }
  return { legacy, org };
}

const sorted = (map: Map<string, string[]>) => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Where a test sends its delivery and with what around it. */
interface Envelope {
  contentType: string | undefined;
  requestId: string | undefined;
  style: Parameters<typeof writeJson>[1];
}
const envelope: fc.Arbitrary<Envelope> = fc.record({ contentType, requestId, style: jsonStyle });

function headersOf(e: Envelope, signature: string | null): Record<string, string> {
  const headers: Record<string, string> = {};
  if (e.contentType !== undefined) headers['content-type'] = e.contentType;
  if (e.requestId !== undefined) headers['x-request-id'] = e.requestId;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return headers;
}

interface Sent {
  method?: string;
  body: string | Buffer;
  envelope: Envelope;
  signature: string | null;
}

/** P1, P2, P5 and the request id for one delivery; returns the answer and the database before and after. */
async function deliver(kind: string, sent: Sent, secretTexts: string[] = []): Promise<{ answer: Answer; before: Snapshot; after: Snapshot }> {
  const before = await baseline();
  const logsAt = world.logs.length;
  const request: RawRequest = { method: sent.method ?? 'POST', path: '/webhooks/meta', headers: headersOf(sent.envelope, sent.signature), body: sent.body };
  const answer = await call(request);
  tally(kind, answer);
  const context = `${kind}: ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.headers.connection, context).not.toBe('close');
  expect(requestIdMatches(sent.envelope.requestId, answer.headers['x-request-id'] as string | undefined), context).toBe(true);
  if (answer.status === 200) expect(answer.json, context).toEqual({ status: 'received' });
  else expect(isWebhookError(answer.status, answer.json, answer.headers['x-request-id']), context).toBe(true);
  const after = await world.snapshot();
  last = after;
  expect(leakedSecret([...secrets, ...secretTexts], answer.text, ...world.logs.slice(logsAt)), context).toBeNull();
  return { answer, before, after };
}

const toTree = (value: Record<string, unknown>): JsonTree => members(value);
const sizeOf = (body: string | Buffer) => (typeof body === 'string' ? Buffer.byteLength(body) : body.length);

// ---------------------------------------------------------------------------------------------

describe('the Meta webhook under fuzzing', () => {
  it(`signed WhatsApp and Instagram deliveries carrying text of every kind, repeated ids, odd content types and X-Request-IDs: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<'whatsapp' | 'instagram'>('whatsapp', 'whatsapp', 'instagram'), messages, envelope, async (platform, list, e) => {
        const c = await channel(platform);
        const delivery = platform === 'whatsapp' ? whatsappDelivery(c.metaId, list) : instagramDelivery(c.metaId, list);
        const body = writeJson(toTree(delivery), e.style);
        const marks = list.filter((m) => m.text.includes('msgmark')).map((m) => m.text.slice(m.text.indexOf('msgmark')));
        const { answer, before, after } = await deliver(platform, { body, envelope: e, signature: sign(body) }, marks);
        // P2: a signed delivery that is JSON is acknowledged, whatever it holds (unless it is over 1 MiB).
        const tooLarge = Buffer.byteLength(body) > MAX_BODY_BYTES;
        expect(answer.status, answer.text).toBe(tooLarge ? 413 : 200);
        const expected = tooLarge ? new Map<string, string[]>() : expectedTexts(platform, list);
        // P3: nothing storable, nothing written.
        if (expected.size === 0) expect(after).toEqual(before);
        // P4: what was stored is what was sent, once, in both dialects.
        const stored = await storedTexts(c);
        expect(sorted(stored.legacy)).toEqual(sorted(expected));
        expect(sorted(stored.org)).toEqual(sorted(expected));
        // The same delivery again (Meta redelivers) is acknowledged and stores nothing more.
        const again = await deliver(`${platform} redelivered`, { body, envelope: e, signature: sign(body) }, marks);
        expect(again.answer.status).toBe(answer.status);
        expect(again.after).toEqual(after);
      }),
      runs(60),
    );
  });

  it(`signed deliveries mutated at every level, random JSON, and bytes that are not JSON: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 4, arbitrary: fc.tuple(fc.constantFrom<'whatsapp' | 'instagram'>('whatsapp', 'instagram'), messages, fc.array(deepMutation, { minLength: 1, maxLength: 4 })).map(([p, l, m]) => ({ kind: 'mutated' as const, platform: p, list: l, mutations: m })) },
          { weight: 1, arbitrary: jsonTree(4).map((tree) => ({ kind: 'random' as const, tree })) },
          { weight: 1, arbitrary: junkBody.map((junk) => ({ kind: 'junk' as const, junk })) },
        ),
        envelope,
        fc.constantFrom('POST', 'POST', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE'),
        async (what, e, method) => {
          const c = await channel(what.kind === 'mutated' ? what.platform : 'whatsapp');
          let body: string | Buffer;
          if (what.kind === 'mutated') {
            const delivery = what.platform === 'whatsapp' ? whatsappDelivery(c.metaId, what.list) : instagramDelivery(c.metaId, what.list);
            body = writeJson(mutateDeep(toTree(delivery), what.mutations), e.style);
          } else if (what.kind === 'random') body = writeJson(what.tree, e.style);
          else body = what.junk;
          const { answer, before, after } = await deliver(`${method} ${what.kind}`, { method, body, envelope: e, signature: sign(body) });
          if (method !== 'POST') {
            expect(answer.status).toBe(405);
            expect(answer.headers.allow).toBe('GET, HEAD, POST');
          } else {
            // P2: signed bytes are acknowledged when they are JSON (whatever its shape), else 400.
            let json = true;
            try {
              JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(typeof body === 'string' ? Buffer.from(body) : body));
            } catch {
              json = false;
            }
            expect(answer.status, answer.text).toBe(sizeOf(body) > MAX_BODY_BYTES ? 413 : json ? 200 : 400);
          }
          if (answer.status !== 200 || what.kind !== 'mutated') expect(after, answer.text).toEqual(before);
          if (what.kind === 'mutated' && answer.status === 200) {
            // P4: whatever was stored sits on this number and reads back the same in both dialects.
            const stored = await storedTexts(c);
            expect(sorted(stored.org)).toEqual(sorted(stored.legacy));
            const rows = after.messages.length - before.messages.length;
            expect([...stored.org.values()].flat().length).toBe(rows);
          }
        },
      ),
      runs(60),
    );
  });

  it(`missing, wrong and malformed signatures on deliverable messages: P1 no 5xx, connection kept · P2 401 in the webhook error shape · P3 nothing stored · P5 no secret in bodies or logs`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(messages, signatureKind, hex(64), envelope, async (list, kind, noise, e) => {
        const c = await channel('whatsapp');
        const body = writeJson(toTree(whatsappDelivery(c.metaId, list)), e.style);
        const [signature, verdict] = signatureFor(kind, body, noise);
        const { answer, before, after } = await deliver(`signature ${kind}`, { body, envelope: e, signature });
        // The size is checked before the signature (docs/webhooks.md, "In this order").
        if (sizeOf(body) > MAX_BODY_BYTES) expect(answer.status).toBe(413);
        else if (verdict === 'valid') expect(answer.status).toBe(200);
        else if (verdict === 'invalid') expect(answer.status, `${signature}`).toBe(401);
        if (answer.status !== 200) expect(after).toEqual(before);
        else {
          const stored = await storedTexts(c);
          expect(sorted(stored.org)).toEqual(sorted(expectedTexts('whatsapp', list)));
        }
      }),
      runs(40),
    );
  });

  it(`signed deliveries just under, at and just over MAX_BODY_BYTES on the one connection: ${P}`, async () => {
    last = null;
    await fc.assert(
      fc.asyncProperty(sizeAroundLimit, fc.boolean(), marker, async (size, inText, mark) => {
        const c = await channel('whatsapp');
        const e: Envelope = { contentType: 'application/json', requestId: undefined, style: 'compact' };
        const list: Message[] = [{ from: '15550002222', id: `wamid.FZ${mark}`, kind: 'text', text: `Big ${mark}` }];
        let body: Buffer;
        if (inText) {
          // The size is made of the message's own text.
          const overhead = Buffer.byteLength(JSON.stringify(whatsappDelivery(c.metaId, list)));
          (list[0] as Message).text = `Big ${mark}${'x'.repeat(size - overhead)}`;
          body = Buffer.from(JSON.stringify(whatsappDelivery(c.metaId, list)));
        } else body = padTo(JSON.stringify(whatsappDelivery(c.metaId, list)), size);
        expect(body.length).toBe(size);
        const { answer, before, after } = await deliver('size', { body, envelope: e, signature: sign(body) }, [mark]);
        expect(answer.status).toBe(size > MAX_BODY_BYTES ? 413 : 200);
        if (answer.status !== 200) expect(after).toEqual(before);
        const stored = await storedTexts(c);
        expect(sorted(stored.org)).toEqual(answer.status === 200 ? sorted(expectedTexts('whatsapp', list)) : []);
        expect(sorted(stored.legacy)).toEqual(sorted(stored.org));
        expect((await call({ method: 'GET', path: '/healthz' })).status).toBe(200);
      }),
      runs(16),
    );
  });

  it('P5 after all of the above: no secret in any log line, and nothing unexpected was reported', async () => {
    expect(leakedSecret(secrets, ...world.logs)).toBeNull();
    expect(world.gw.unexpected).toEqual([]);
  });
});

const SIGNATURE_KINDS = [
  'right',
  'missing',
  'empty',
  'prefix only',
  'sha1 prefix',
  'no prefix',
  'other secret',
  'other body',
  'one digit short',
  'one digit long',
  'upper-case prefix',
  'upper-case hex',
  'padded',
  'two signatures',
  'sha1 digest',
  'zeros',
  'random hex',
] as const;
type SignatureKind = (typeof SIGNATURE_KINDS)[number];
const signatureKind = fc.constantFrom(...SIGNATURE_KINDS);

/**
 * `X-Hub-Signature-256` of one kind for a body, and whether docs/webhooks.md makes it valid
 * (`sha256=` + the hex HMAC-SHA256 of the raw bytes), invalid, or leaves it open.
 */
function signatureFor(kind: SignatureKind, body: string, noise: string): [string | null, 'valid' | 'invalid' | 'either'] {
  const right = sign(body);
  const digest = right.slice('sha256='.length);
  switch (kind) {
    case 'right':
      return [right, 'valid'];
    case 'missing':
      return [null, 'invalid'];
    case 'empty':
      return ['', 'invalid'];
    case 'prefix only':
      return ['sha256=', 'invalid'];
    case 'sha1 prefix':
      return [`sha1=${digest}`, 'invalid'];
    case 'no prefix':
      return [digest, 'invalid'];
    case 'other secret':
      return [sign(body, 'another-secret'), 'invalid'];
    case 'other body':
      return [sign(`${body} `), 'invalid'];
    case 'one digit short':
      return [right.slice(0, -1), 'invalid'];
    case 'one digit long':
      return [`${right}0`, 'invalid'];
    case 'upper-case prefix':
      return [`SHA256=${digest}`, 'invalid'];
    case 'upper-case hex':
      return [`sha256=${digest.toUpperCase()}`, 'either'];
    case 'padded':
      return [`  ${right}\t`, 'either'];
    case 'two signatures':
      return [`${right}, ${sign(body, 'x')}`, 'invalid'];
    case 'sha1 digest':
      return [`sha256=${createHmac('sha1', APP_SECRET).update(body).digest('hex')}`, 'invalid'];
    case 'zeros':
      return [`sha256=${'0'.repeat(64)}`, 'invalid'];
    default:
      return [`sha256=${noise}`, noise === digest ? 'valid' : 'invalid'];
  }
}
