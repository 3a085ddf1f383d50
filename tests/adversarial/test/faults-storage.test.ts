import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappDelivery, whatsappText } from '@gateway/gateway/testing/webhooks';
import { signedWebhook } from '../src/meta';
import { RUNS_FACTOR } from '../src/runs';
import { APP_SECRET, isLegacyError, isOrgError, startWorld, type Answer, type RawRequest, type World } from '../src/world';

/**
 * Issue: storage failing at each step of each multi-write use case. For every request below, the
 * unit of work is made to fail at its 1st, 2nd, … storage call inside the transaction (an error the
 * storage did not classify → 500; the database unavailable → 503, alternately), until the request
 * runs through without reaching the fault. Each failed attempt must answer the dialect's 5xx, with
 * no internal detail, and leave the database exactly as it was; the attempt that goes through must
 * then succeed, so a failure never leaves anything behind that blocks the retry (an idempotency
 * claim, a half-made conversation). On PostgreSQL the same runs once more with the transaction's
 * connection terminated by the server itself part-way through.
 */

let world: World;
const onPostgres = process.env.GATEWAY_TEST_STORAGE === 'postgres';

beforeAll(async () => {
  // Replies on, with a debounce nobody waits for: inbound messages also write reply work.
  world = await startWorld({ plan: 'enterprise', replies: { debounceMs: 3_600_000, maxWaitMs: 3_600_000 } });
});
afterAll(async () => {
  await world?.close();
});

const json = (body: unknown) => JSON.stringify(body);
const org = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${world.gw.tokens.full}`, 'content-type': 'application/json', ...extra });
const legacy = (extra: Record<string, string> = {}) => ({ 'x-api-key': world.gw.tokens.full, 'content-type': 'application/json', ...extra });

async function ok(request: RawRequest, status = 200): Promise<Record<string, unknown>> {
  const answer = await world.request(request);
  expect(answer.status, answer.text).toBe(status);
  return answer.json as Record<string, unknown>;
}

let metaIds = 0;
/** A new WhatsApp number of Alice's, with its Meta id. */
async function number(): Promise<{ id: string; metaId: string }> {
  const metaId = `7730${process.pid}${++metaIds}`.slice(0, 15);
  const phone = await world.gw.addNumber(world.gw.alice.id, metaId);
  return { id: phone.id, metaId };
}

let handles = 0;
const handle = () => `fault${++handles}${randomUUID().slice(0, 6).replace(/-/g, '')}`;

async function orgAgent(phoneNumberId: string | null): Promise<string> {
  const body = await ok({ method: 'POST', path: '/api/v1/agents', headers: org(), body: json({ handle: handle(), name: 'Desk', instructions: 'Help with orders.', phone_number_id: phoneNumberId }) }, 201);
  return (body.data as { id: string }).id;
}
const deactivate = (agentId: string) => ok({ method: 'PATCH', path: `/api/v1/agents/${agentId}`, headers: org(), body: json({ is_active: false }) });

const webhook = (metaId: string, messages: { from: string; text: string }[], statuses: object[] = []): RawRequest =>
  signedWebhook(whatsappDelivery(metaId, messages.map((m) => whatsappText({ from: m.from, id: `wamid.FAULT${randomUUID()}`, text: m.text })), statuses.length > 0 ? { statuses } : {}), APP_SECRET);

/** A number whose conversations belong to an agent that is no longer active: the next agent on it takes them over (R2). */
async function numberWithOldConversations(): Promise<{ id: string; metaId: string; oldAgentId: string }> {
  const phone = await number();
  const oldAgentId = await orgAgent(phone.id);
  await ok(webhook(phone.metaId, [{ from: '15550001001', text: 'Hello' }, { from: '15550001002', text: 'Hi there' }]));
  await deactivate(oldAgentId);
  return { ...phone, oldAgentId };
}

type Dialect = 'legacy' | 'org' | 'webhook';

interface Scenario {
  name: string;
  dialect: Dialect;
  /** Prepares the world and gives the request under test (sent again, unchanged, after each fault). */
  prepare(): Promise<RawRequest>;
  status: number;
  /** Checks the outcome once the request went through. */
  verify?(answer: Answer): Promise<void>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'org create taking a number over (agent, archival of two conversations, archival record, idempotency record)',
    dialect: 'org',
    status: 201,
    async prepare() {
      const phone = await numberWithOldConversations();
      return { method: 'POST', path: '/api/v1/agents', headers: org({ 'idempotency-key': randomUUID() }), body: json({ handle: handle(), name: 'New desk', instructions: 'Help.', phone_number_id: phone.id }) };
    },
  },
  {
    name: 'legacy create taking a number over, with an Idempotency-Key',
    dialect: 'legacy',
    status: 201,
    async prepare() {
      const phone = await numberWithOldConversations();
      return { method: 'POST', path: `/v1/users/${world.gw.alice.id}/agents`, headers: legacy({ 'idempotency-key': randomUUID() }), body: json({ phone_number_id: phone.id, prompt_id: 'prompt_fault', name: 'Legacy desk' }) };
    },
  },
  {
    name: 'legacy move of an agent onto a number with conversations of another agent',
    dialect: 'legacy',
    status: 200,
    async prepare() {
      const target = await numberWithOldConversations();
      const mover = await orgAgent((await number()).id);
      return { method: 'PATCH', path: `/v1/users/${world.gw.alice.id}/agents/${mover}`, headers: legacy(), body: json({ phone_number_id: target.id }) };
    },
  },
  {
    name: 'org re-activation that takes the number back from a later agent’s conversations',
    dialect: 'org',
    status: 200,
    async prepare() {
      const phone = await numberWithOldConversations();
      const later = await orgAgent(phone.id);
      await ok(webhook(phone.metaId, [{ from: '15550001003', text: 'New customer' }]));
      await deactivate(later);
      return { method: 'PATCH', path: `/api/v1/agents/${phone.oldAgentId}`, headers: org({ 'idempotency-key': randomUUID() }), body: json({ is_active: true }) };
    },
  },
  {
    name: 'org delete of an agent that holds a number',
    dialect: 'org',
    status: 200,
    async prepare() {
      const agent = await orgAgent((await number()).id);
      return { method: 'DELETE', path: `/api/v1/agents/${agent}`, headers: org() };
    },
  },
  {
    name: 'legacy phone number added, with an Idempotency-Key',
    dialect: 'legacy',
    status: 201,
    async prepare() {
      const metaId = `8840${process.pid}${++metaIds}`.slice(0, 15);
      return { method: 'POST', path: `/v1/users/${world.gw.alice.id}/phone_numbers`, headers: legacy({ 'idempotency-key': randomUUID() }), body: json({ platform: 'whatsapp', meta_phone_number_id: metaId, access_token: 'EAAG-fault-secret' }) };
    },
  },
  {
    name: 'webhook batch: three messages of two customers (conversations, messages, reply work)',
    dialect: 'webhook',
    status: 200,
    async prepare() {
      const phone = await number();
      await orgAgent(phone.id);
      return webhook(phone.metaId, [{ from: '15550002001', text: 'First' }, { from: '15550002002', text: 'Second' }, { from: '15550002001', text: 'Third' }]);
    },
  },
  {
    name: 'webhook message of a customer whose conversation was archived by a takeover (a new conversation with the new agent)',
    dialect: 'webhook',
    status: 200,
    async prepare() {
      const phone = await numberWithOldConversations();
      await orgAgent(phone.id);
      return webhook(phone.metaId, [{ from: '15550001001', text: 'Back again' }]);
    },
  },
  {
    name: 'webhook batch carrying a message and a status callback together',
    dialect: 'webhook',
    status: 200,
    async prepare() {
      const phone = await number();
      await orgAgent(phone.id);
      const status = { id: `wamid.FAULT.STATUS${randomUUID()}`, status: 'delivered', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: '15550003001' };
      return webhook(phone.metaId, [{ from: '15550003001', text: 'And one more thing' }], [status]);
    },
  },
];

function expectFailure(dialect: Dialect, status: number, answer: Answer) {
  expect(answer.status, answer.text).toBe(status);
  if (dialect === 'legacy') expect(isLegacyError(status, answer.json), answer.text).toBe(true);
  else expect(isOrgError(status, answer.json), answer.text).toBe(true);
  expect(answer.text).not.toMatch(/injected|disk I\/O|terminat|at .*\.ts|\n\s+at /);
}

/** Sends the request with the fault at each storage call in turn; returns the answer that went through. */
async function faultEveryStep(scenario: Scenario, request: RawRequest, fault: (step: number) => Parameters<World['faults']['arm']>[1], expectStatus: (step: number) => number) {
  let steps = 0;
  for (let at = 1; at <= 200; at++) {
    const before = await world.snapshot();
    const plan = world.faults.arm(at, fault(at));
    const answer = await world.request(request);
    world.faults.arm(null, { kind: 'error' });
    if (!plan.fired) {
      expect(answer.status, `${scenario.name}: after ${steps} faulted steps: ${answer.text}`).toBe(scenario.status);
      return { answer, steps, trace: plan.trace };
    }
    steps += 1;
    expectFailure(scenario.dialect, expectStatus(at), answer);
    expect(await world.snapshot(), `${scenario.name}: a fault at storage call ${at} (${plan.trace.at(-1)}) left a write behind`).toEqual(before);
  }
  throw new Error(`${scenario.name}: never went through`);
}

describe('storage failing at each step of each multi-write request: a 5xx, nothing written, and the retry works', () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      for (let round = 0; round < RUNS_FACTOR; round++) {
        const request = await scenario.prepare();
        const { steps, trace } = await faultEveryStep(
          scenario,
          request,
          (at) => ({ kind: at % 2 === 1 ? 'error' : 'unavailable' }),
          (at) => (at % 2 === 1 ? 500 : 503),
        );
        // Every step that writes was faulted at least once.
        expect(steps).toBe(trace.length);
        expect(steps).toBeGreaterThan(0);
        if (request.headers?.['idempotency-key'] !== undefined) {
          const replay = await world.request(request);
          expect(replay.status).toBe(scenario.status);
          expect(replay.headers['idempotent-replayed']).toBe('true');
        }
      }
    });
  }
});

if (onPostgres) describe('PostgreSQL terminating the connection in the middle of a transaction', () => {
  let admin: pg.Client;
  beforeAll(async () => {
    if (world.gw.database.kind !== 'postgres') throw new Error('expected a PostgreSQL test gateway');
    admin = new pg.Client({ connectionString: world.gw.database.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
  });

  /** Ends every other session on the test database, the way a server restart or a failover does. */
  const terminateSessions = async () => {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  };

  for (const scenario of SCENARIOS.filter((s) => s.name.startsWith('org create') || s.name.startsWith('webhook batch: three'))) {
    it(`${scenario.name}: a 503 at each step, nothing written, the pool recovers`, async () => {
      const request = await scenario.prepare();
      const { steps } = await faultEveryStep(scenario, request, () => ({ kind: 'effect', effect: terminateSessions }), () => 503);
      expect(steps).toBeGreaterThan(0);
    });
  }
});
