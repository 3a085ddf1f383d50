import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, DEFAULT_PLAN_LIMITS, SCOPES } from '@gateway/core';
import { fakeGraphApi, fakeResponsesApi, type FakeGraphApi, type FakeResponsesApi } from '@gateway/gateway/testing/fakes';
import { childEnv, startServer, tempDir, TEST_KEY, type ServerProcess } from '@gateway/gateway/testing/helpers';
import { whatsappDelivery, whatsappText } from '@gateway/gateway/testing/webhooks';
import type { TestDatabase } from '@gateway/http/testing';
import { aesGcmCipher, htmlSanitizer, randomIds, sha256Hasher, systemClock } from '@gateway/platform';
import { openStorage } from '@gateway/storage';
import { createDatabase, postgresServerUrl } from '@gateway/storage/postgres-testing';
import { signedWebhook } from '../src/meta';
import { RUNS_FACTOR } from '../src/runs';
import { ageIdempotencyClaims, snapshot, sqliteIntegrity, type Snapshot } from '../src/snapshot';

/**
 * Crash safety: the real gateway process, under concurrent writes in both dialects and a stream of
 * customer messages with replies on, killed with SIGKILL at a random moment, started again, and
 * audited from the database itself:
 * - every write a 2xx acknowledged is there, as acknowledged, and every acknowledged customer
 *   message is stored once;
 * - nothing is half-applied: at most one active agent per number (R1), and no active conversation
 *   of another agent on a number that has an active agent (R2's archival is all or nothing);
 * - `PRAGMA integrity_check` is ok on SQLite;
 * - retrying an interrupted request with its Idempotency-Key gives one result, replayed after;
 * - Meta redelivering what it never saw acknowledged stores each message once, and every customer
 *   turn of a conversation whose agent still answers ends answered once or visibly failed, with
 *   never more sends than replies.
 */

const APP_SECRET = 'crash-suite-app-secret-91ab';
const ROUNDS = 2 * RUNS_FACTOR;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let model: FakeResponsesApi;
let graph: FakeGraphApi;
beforeAll(async () => {
  model = await fakeResponsesApi();
  graph = await fakeGraphApi();
  model.setDefault({ text: 'We are on it.', delayMs: 120 });
  graph.setDefault({ ok: true, delayMs: 40 });
});
afterAll(async () => {
  await model?.close();
  await graph?.close();
});

interface Place {
  url: string;
  database: TestDatabase;
  cleanup(): Promise<void>;
}

async function sqlitePlace(): Promise<Place> {
  const { dir, cleanup } = tempDir();
  const file = join(dir, 'gateway.db');
  return { url: pathToFileURL(file).href, database: { kind: 'sqlite', file }, cleanup: async () => cleanup() };
}

async function postgresPlace(): Promise<Place> {
  const db = await createDatabase(postgresServerUrl(), 'crash');
  return { url: db.url, database: { kind: 'postgres', url: db.url }, cleanup: () => db.drop() };
}

interface Seeded {
  token: string;
  userId: string;
  /** WhatsApp numbers, each with an agent: customers write to them. */
  numbers: { id: string; metaId: string }[];
  /** A number whose agent is replaced again and again (takeovers under load). */
  takeover: { id: string; metaId: string; agentId: string };
}

async function seed(url: string): Promise<Seeded> {
  const storage = await openStorage({ url, cipher: aesGcmCipher(TEST_KEY) });
  const core = createCore({ clock: systemClock, ids: randomIds, hasher: sha256Hasher, html: htmlSanitizer, planLimits: DEFAULT_PLAN_LIMITS });
  const uow = storage.uow;
  try {
    const org = await core.createOrg({ uow, input: { name: 'Crash Co', plan: 'enterprise' } });
    const user = await core.createUser({ uow, input: { orgId: org.id, name: 'Owner' } });
    const { key, token } = await core.createApiKey({ uow, input: { orgId: org.id, scopes: [...SCOPES] } });
    const ctx = { uow, actor: core.actorFor(key, user.id) };
    const numbers = [];
    for (const metaId of ['106540352200001', '106540352200002', '106540352200003']) {
      const phone = await core.addPhoneNumber({ ctx, input: { platform: 'whatsapp', metaPhoneNumberId: metaId, accessToken: 'EAAG-crash-suite-secret' } });
      await core.createAgent({ ctx: { uow, actor: core.actorFor(key) }, input: { name: `Desk ${metaId.slice(-1)}`, instructions: 'Help.', phoneNumberId: phone.id } });
      numbers.push({ id: phone.id, metaId });
    }
    const [first, second, takeoverNumber] = numbers;
    const agent = await core.listAgents({ ctx: { uow, actor: core.actorFor(key) }, filter: { phoneNumberId: takeoverNumber!.id }, page: { kind: 'offset', limit: 1, offset: 0 } });
    return { token, userId: user.id, numbers: [first!, second!], takeover: { ...takeoverNumber!, agentId: agent.items[0]!.id } };
  } finally {
    await storage.close();
  }
}

const start = (url: string) =>
  startServer(
    childEnv({
      DATABASE_URL: url,
      GATEWAY_ENCRYPTION_KEY: TEST_KEY,
      META_APP_SECRET: APP_SECRET,
      OPENAI_API_KEY: 'sk-test-crash-suite',
      OPENAI_BASE_URL: model.baseURL,
      META_GRAPH_BASE_URL: graph.baseUrl,
      REPLY_DEBOUNCE_MS: '30',
      REPLY_LEASE_MS: '1500',
      REPLY_MODEL_TIMEOUT_MS: '5000',
      RATE_LIMIT_LEGACY_PER_MINUTE: '100000',
      RATE_LIMIT_LEGACY_PER_HOUR: '1000000',
      RATE_LIMIT_ORG_PER_MINUTE: '100000',
      RATE_LIMIT_ORG_PER_HOUR: '1000000',
    }),
  );

interface Log {
  creates: Sent[];
  numbers: Sent[];
  messages: Sent[];
  takeovers: Sent[];
}

interface Sent {
  request: { method: string; path: string; headers: Record<string, string>; body: string };
  /** The answer, or null when the connection died with the process. */
  answer: { status: number; body: string } | null;
}

async function send(port: number, request: Sent['request']): Promise<Sent['answer']> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${request.path}`, { method: request.method, headers: request.headers, body: request.body, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return null;
  }
}

const delivery = (metaId: string, from: string, id: string, text: string): Sent['request'] => signedWebhook(whatsappDelivery(metaId, [whatsappText({ from, id, text })]), APP_SECRET);

/** Concurrent load on one server until `stop` is set: org creates, legacy creates, takeovers, customer messages. */
function load(port: number, seeded: Seeded, holder: string | null, log: Log, stop: { now: boolean }) {
  const org = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${seeded.token}`, 'content-type': 'application/json', ...extra });
  const orgCreates = async () => {
    while (!stop.now) {
      const handle = `crash${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const request = { method: 'POST', path: '/api/v1/agents', headers: org({ 'idempotency-key': randomUUID() }), body: JSON.stringify({ handle, name: `Agent ${handle}`, instructions: 'Answer.' }) };
      const entry: Sent = { request, answer: null };
      log.creates.push(entry);
      entry.answer = await send(port, request);
    }
  };
  const legacyNumbers = async () => {
    while (!stop.now) {
      const request = {
        method: 'POST',
        path: `/v1/users/${seeded.userId}/phone_numbers`,
        headers: { 'x-api-key': seeded.token, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ platform: 'whatsapp', meta_phone_number_id: `9${Date.now()}${Math.floor(Math.random() * 1e4)}`, access_token: 'EAAG-crash-suite-number', display_name: `Line ${randomUUID().slice(0, 8)}` }),
      };
      const entry: Sent = { request, answer: null };
      log.numbers.push(entry);
      entry.answer = await send(port, request);
    }
  };
  // Replace the takeover number's agent again and again: deactivate it, then create its successor.
  const takeovers = async () => {
    let current = holder;
    while (!stop.now) {
      if (current !== null) {
        const off = await send(port, { method: 'PATCH', path: `/api/v1/agents/${current}`, headers: org(), body: JSON.stringify({ is_active: false }) });
        if (off === null) return;
        expect(off.status, off.body).toBe(200);
      }
      const handle = `next${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const request = { method: 'POST', path: '/api/v1/agents', headers: org({ 'idempotency-key': randomUUID() }), body: JSON.stringify({ handle, name: 'Successor', instructions: 'Answer.', phone_number_id: seeded.takeover.id }) };
      const entry: Sent = { request, answer: null };
      log.takeovers.push(entry);
      entry.answer = await send(port, request);
      if (entry.answer?.status === 201) current = (JSON.parse(entry.answer.body) as { data: { id: string } }).data.id;
      else if (entry.answer === null) return;
    }
  };
  const customers = async (n: number) => {
    const phone = n % 3 === 2 ? seeded.takeover : seeded.numbers[n % 2]!;
    let i = 0;
    while (!stop.now) {
      const request = delivery(phone.metaId, `1555000${String(n).padStart(4, '0')}`, `wamid.CRASH.${randomUUID()}`, `message ${++i} of customer ${n}`);
      const entry: Sent = { request, answer: null };
      log.messages.push(entry);
      entry.answer = await send(port, request);
      await sleep(20 + Math.random() * 60);
    }
  };
  return Promise.all([orgCreates(), orgCreates(), legacyNumbers(), takeovers(), ...[0, 1, 2, 3, 4, 5].map(customers)]);
}

const isActive = (agent: Record<string, unknown>) => agent.deleted_at === null && Boolean(agent.is_active) && agent.is_active !== 'false';

/** R1 and R2 in the stored state: nothing half-applied. */
function auditRules(state: Snapshot) {
  const activeByNumber = new Map<string, string[]>();
  for (const agent of state.agents) {
    if (isActive(agent) && agent.phone_number_id !== null) {
      activeByNumber.set(agent.phone_number_id as string, [...(activeByNumber.get(agent.phone_number_id as string) ?? []), agent.id as string]);
    }
  }
  for (const [number, agents] of activeByNumber) expect(agents, `R1: active agents on ${number}`).toHaveLength(1);
  for (const conversation of state.conversations) {
    const holder = activeByNumber.get(conversation.phone_number_id as string)?.[0];
    if (conversation.status === 'active' && holder !== undefined) {
      expect(conversation.agent_id, `R2: active conversation ${String(conversation.id)} on a number its agent no longer holds`).toBe(holder);
    }
    if (conversation.status === 'archived') expect(conversation.archived_at).not.toBeNull();
  }
  for (const record of state.archival_records) expect(state.agents.some((a) => a.id === record.new_agent_id)).toBe(true);
  // Every message once per Meta id (the unique index), and in a conversation that exists.
  const ids = state.messages.filter((m) => m.platform_message_id !== null).map((m) => `${String(m.phone_number_id)}/${String(m.platform_message_id)}`);
  expect(new Set(ids).size).toBe(ids.length);
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// The package's test script runs this file once per database.
const onPostgres = process.env.GATEWAY_TEST_STORAGE === 'postgres';

describe.each([onPostgres ? (['PostgreSQL', postgresPlace] as const) : (['SQLite', sqlitePlace] as const)])('SIGKILL under load, on %s', (_name, place) => {
  it(`${ROUNDS} kills at random moments: acknowledged writes kept, nothing half-applied, retries answered once, every turn answered once or failed`, async () => {
    const where = await place();
    const log: Log = { creates: [], numbers: [], messages: [], takeovers: [] };
    let server: ServerProcess | null = null;
    try {
      const seeded = await seed(where.url);
      model.reset();
      graph.reset();
      for (let round = 0; round < ROUNDS; round++) {
        server = await start(where.url);
        const stop = { now: false };
        const before = await snapshot(where.database);
        const holder = before.agents.find((a) => isActive(a) && a.phone_number_id === seeded.takeover.id)?.id as string | undefined;
        const running = load(server.port, seeded, holder ?? null, log, stop);
        await sleep(700 + Math.random() * 900);
        server.child.kill('SIGKILL');
        await server.exited;
        stop.now = true;
        await running;
        server = null;
        if (where.database.kind === 'sqlite') expect(sqliteIntegrity(where.database.file)).toBe('ok');
        auditRules(await snapshot(where.database));
      }

      server = await start(where.url);
      const port = server.port;
      // Meta delivers again what it never saw acknowledged, and some of what it did.
      const unacknowledged = log.messages.filter((m) => m.answer?.status !== 200);
      for (const m of [...unacknowledged, ...log.messages.filter((_, i) => i % 7 === 0)]) {
        m.answer = await send(port, m.request);
        expect(m.answer?.status).toBe(200);
      }
      // Clients retry what never got an answer, with the same Idempotency-Key: one result each. A
      // claim the killed process held is still "in use" (409) until it counts as abandoned after
      // 60 s; it can only be held by a write that never committed (the stored answer commits with
      // the write), so nothing of it may be stored.
      const interrupted = [...log.creates, ...log.numbers, ...log.takeovers].filter((c) => c.answer === null);
      const inUse = [];
      for (const c of interrupted) {
        const first = await send(port, c.request);
        expect(first, 'the retry got an answer').not.toBeNull();
        if (first!.status === 409 && first!.body.includes('still being processed')) inUse.push(c);
        else if (first!.status === 409 && first!.body.includes('idempotency_key_in_use')) inUse.push(c);
        else c.answer = first;
      }
      if (inUse.length > 0) {
        const state = await snapshot(where.database);
        for (const c of inUse) {
          const sent = JSON.parse(c.request.body) as { handle?: string; display_name?: string };
          if (sent.handle !== undefined) expect(state.agents.some((a) => a.handle === sent.handle), `half-applied ${sent.handle}`).toBe(false);
          if (sent.display_name !== undefined) expect(state.phone_numbers.some((p) => p.display_name === sent.display_name)).toBe(false);
        }
        expect(await ageIdempotencyClaims(where.database, 61_000)).toBeGreaterThanOrEqual(inUse.length);
        for (const c of inUse) c.answer = await send(port, c.request);
      }
      for (const c of interrupted) {
        const retry = c.answer;
        expect(retry, 'the retry got an answer').not.toBeNull();
        if (log.takeovers.includes(c)) {
          // A successor whose create never committed may since have lost the number to a later one (R1).
          expect([201, 409], retry!.body).toContain(retry!.status);
        } else {
          expect(retry!.status, retry!.body).toBe(201);
        }
        const again = await send(port, c.request);
        expect(again?.status).toBe(retry!.status);
        if (retry!.status === 201) {
          expect(again?.body).toBe(retry!.body);
        }
      }

      // Wait for the reply queue to drain.
      await until(async () => {
        const state = await snapshot(where.database);
        return state.reply_jobs.length === 0 && !state.messages.some((m) => m.status === 'pending');
      }, 30_000, 'the reply queue to drain');
      await server.child.kill('SIGTERM');
      await server.exited;
      server = null;
      if (where.database.kind === 'sqlite') expect(sqliteIntegrity(where.database.file)).toBe('ok');

      const state = await snapshot(where.database);
      auditRules(state);
      // The load did what it is for: writes of each kind, takeovers, replies, and requests cut by a kill.
      const counts = {
        creates: log.creates.length,
        numbers: log.numbers.length,
        takeovers: log.takeovers.length,
        messages: log.messages.length,
        interrupted: interrupted.length,
        unacknowledgedMessages: unacknowledged.length,
        inUse: inUse.length,
        sends: graph.sends().length,
        archived: state.conversations.filter((c) => c.status === 'archived').length,
      };
      console.log(JSON.stringify(counts));
      expect(Math.min(counts.creates, counts.numbers, counts.takeovers, counts.messages, counts.sends, counts.archived)).toBeGreaterThan(0);
      // Under load nothing but the expected answers (or a connection the kill cut).
      for (const c of [...log.creates, ...log.numbers]) expect(c.answer?.status, c.answer?.body).toBe(201);
      for (const m of log.messages) expect(m.answer?.status).toBe(200);
      // Every acknowledged number is there as acknowledged.
      for (const n of log.numbers) {
        const body = JSON.parse(n.answer!.body) as { id: string; display_name: string };
        expect(state.phone_numbers.find((p) => p.id === body.id)?.display_name).toBe(body.display_name);
      }
      const lines = log.numbers.map((n) => (JSON.parse(n.request.body) as { display_name: string }).display_name);
      for (const line of lines) expect(state.phone_numbers.filter((p) => p.display_name === line)).toHaveLength(1);
      // Every acknowledged create is there as acknowledged, and each Idempotency-Key made one agent.
      const agentsById = new Map(state.agents.map((a) => [a.id as string, a]));
      for (const c of [...log.creates, ...log.takeovers].filter((c) => c.answer?.status === 201)) {
        const { data } = JSON.parse(c.answer!.body) as { data: { id: string; handle: string; name: string } };
        const stored = agentsById.get(data.id);
        expect(stored, `acknowledged agent ${data.id}`).toBeDefined();
        expect([stored!.name, stored!.handle]).toEqual([data.name, data.handle]);
      }
      const handles = [...log.creates, ...log.takeovers].map((c) => (JSON.parse(c.request.body) as { handle: string }).handle);
      for (const handle of handles) expect(state.agents.filter((a) => a.handle === handle).length, handle).toBeLessThanOrEqual(1);
      // Every customer message Meta sent is stored exactly once.
      const stored = new Set(state.messages.map((m) => m.platform_message_id));
      for (const m of log.messages) expect(stored.has((JSON.parse(m.request.body) as { entry: { changes: { value: { messages: { id: string }[] } }[] }[] }).entry[0]!.changes[0]!.value.messages[0]!.id)).toBe(true);
      // Every turn of a conversation whose agent still answers ends answered once or visibly failed.
      const activeAgents = new Set(state.agents.filter(isActive).map((a) => a.id));
      for (const conversation of state.conversations.filter((c) => c.status === 'active' && activeAgents.has(c.agent_id))) {
        const messages = state.messages.filter((m) => m.conversation_id === conversation.id).sort((a, b) => Number(a.seq) - Number(b.seq));
        const last = messages.at(-1)!;
        expect(last.role, `conversation ${String(conversation.id)} ends with an answer`).toBe('assistant');
        expect(['sent', 'failed']).toContain(last.status);
        if (last.status === 'failed') expect(last.failure_reason).toBeTruthy();
      }
      // Never more sends than replies, per customer: no turn was sent twice.
      for (const customer of new Set(state.conversations.map((c) => c.customer_id as string))) {
        const replies = state.messages.filter((m) => m.role === 'assistant' && state.conversations.some((c) => c.id === m.conversation_id && c.customer_id === customer));
        const sends = graph.sends().filter((r) => (r.body as { to?: string }).to === customer);
        expect(sends.length, `sends to ${customer}`).toBeLessThanOrEqual(replies.length);
        expect(replies.filter((m) => m.status === 'sent').length).toBeLessThanOrEqual(sends.length);
      }
    } finally {
      if (server) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
      await where.cleanup();
    }
  }, 180_000);
});
