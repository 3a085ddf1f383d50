import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '@gateway/core';
import { signedWebhook } from '../src/meta';
import * as M from '../src/reference-model';
import { RUNS_FACTOR, runs } from '../src/runs';
import { APP_SECRET, isLegacyError, isOrgError, startWorld, type Answer, type World } from '../src/world';

/**
 * Model-based testing across both dialects: random histories of agent writes (legacy and org, the
 * same operation through either), customer messages (signed webhooks, WhatsApp and Instagram),
 * takeovers, reply turns driven through the core's steps, and status callbacks in any order and
 * any number of times. After every command the HTTP answer is checked against the reference model
 * (src/reference-model.ts) and the database against the model and against the rules themselves:
 * R1 one active agent per number, R2 archival with its record, R3 soft delete, R4 handles, R10 the
 * plan limit, §8 the queue, one reply per turn, statuses forwards only.
 *
 * One gateway for many runs (replaced every RUNS_PER_WORLD runs, so snapshots stay small); each run
 * gets an org of its own on plan pro, whose limit is set to LIMIT, with two users, three numbers (two
 * WhatsApp numbers of the first user, an Instagram account of the second) and a key with every scope.
 * A failing history shrinks to a short list of steps, printed as JSON: `replay` runs it as it is.
 */

const LIMIT = 4;
const LEASE_MS = 600_000;
const MAX_COMMANDS = 40;
const RUNS = 75;

let world: World;
/** Every org of the current world: a claim skips all but the run's own, so leftovers of earlier runs stay put. */
let orgs: string[] = [];
let runsInWorld = 0;
/** Runs per gateway: every snapshot reads whole tables, so a world is replaced before it grows large. */
const RUNS_PER_WORLD = 50;

async function newWorld(): Promise<void> {
  await world?.close();
  // Replies on without any debounce: a queued turn is due at once, and nothing answers by itself.
  world = await startWorld({ planLimits: { free: 3, pro: LIMIT, enterprise: null }, replies: { debounceMs: 0, maxWaitMs: 0 } });
  orgs = [world.gw.org.id, world.gw.other.id];
  runsInWorld = 0;
}

beforeAll(newWorld);
afterAll(async () => {
  if (process.env.MODEL_STATS) console.log(JSON.stringify(stats));
  await world?.close();
});

/** What the runs did (`MODEL_STATS=1` prints it): commands run by kind, answers refused, replies sent. */
const stats: Record<string, number> = {};
const tally = (what: string) => {
  stats[what] = (stats[what] ?? 0) + 1;
};

// ---------------------------------------------------------------------------------------------
// The commands, as plain data: a failing history prints as JSON and replays as a list.

type Dialect = M.Dialect;
type Step =
  | { kind: 'create'; dialect: Dialect; number: number | null; name: string; handle: string; otherUser: boolean }
  | { kind: 'rename'; dialect: Dialect; agent: number; name: string; otherUser: boolean }
  | { kind: 'instruct'; dialect: Dialect; agent: number; variant: number }
  | { kind: 'deactivate'; agent: number }
  | { kind: 'reactivate'; agent: number }
  /** `activate` (org only): the same PATCH also sets `is_active: true`. */
  | { kind: 'move'; dialect: Dialect; agent: number; number: number | null; activate: boolean }
  | { kind: 'rehandle'; agent: number; handle: string }
  | { kind: 'delete'; dialect: Dialect; agent: number; otherUser: boolean }
  | { kind: 'read'; agent: number }
  /** Lists and reads through both dialects: agents, the org's usage, one conversation and its messages. */
  | { kind: 'browse'; conversation: number }
  /** `toAgent`: to one of the numbers that have an active agent, when there is one. */
  | { kind: 'inbound'; number: number; customer: number; toAgent: boolean }
  | { kind: 'redeliver'; message: number }
  | { kind: 'takeover'; dialect: Dialect; number: number; release: 'deactivate' | 'delete' | 'detach'; by: 'create' | 'reactivate'; name: string; handle: string }
  /**
   * A reply turn, whole or one stage at a time so that other commands run between its stages:
   * `claim` (claim and begin every due turn), `store` (the model answered: store the reply of every
   * begun turn, or its failure), `send` (send every stored reply and end its turn).
   */
  | { kind: 'turn'; part: 'whole' | 'claim' | 'store' | 'send'; interrupted: boolean; modelFails: boolean; race: M.DeliveryState | null }
  | { kind: 'status'; reply: number; states: M.DeliveryState[]; callbackData: boolean; stranger: boolean };

const dialect = fc.constantFrom<Dialect>('legacy', 'org');
const numberIx = fc.nat({ max: 2 });
const agentIx = fc.nat({ max: 11 });
const name = fc.constantFrom(...M.NAME_LIST);
const handle = fc.constantFrom(...M.HANDLES);

const STEP: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('create' as const), dialect, number: fc.option(numberIx, { freq: 5 }), name, handle, otherUser: fc.constantFrom(false, false, false, true) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rename' as const), dialect, agent: agentIx, name, otherUser: fc.constantFrom(false, false, false, true) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('instruct' as const), dialect, agent: agentIx, variant: fc.nat({ max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deactivate' as const), agent: agentIx }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reactivate' as const), agent: agentIx }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('move' as const), dialect, agent: agentIx, number: fc.option(numberIx, { freq: 4 }), activate: fc.constantFrom(false, false, true) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rehandle' as const), agent: agentIx, handle }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), dialect, agent: agentIx, otherUser: fc.constantFrom(false, false, false, true) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), agent: agentIx }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('browse' as const), conversation: fc.nat({ max: 20 }) }) },
  { weight: 7, arbitrary: fc.record({ kind: fc.constant('inbound' as const), number: numberIx, customer: fc.nat({ max: 2 }), toAgent: fc.constantFrom(true, true, false) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), message: fc.nat({ max: 20 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('takeover' as const),
      dialect,
      number: numberIx,
      release: fc.constantFrom('deactivate' as const, 'delete' as const, 'detach' as const),
      by: fc.constantFrom('create' as const, 'create' as const, 'reactivate' as const),
      name,
      handle,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('turn' as const),
      part: fc.constantFrom('whole' as const, 'whole' as const, 'whole' as const, 'claim' as const, 'store' as const, 'send' as const),
      interrupted: fc.constantFrom(false, false, false, true),
      modelFails: fc.constantFrom(false, false, false, false, false, true),
      /** A status callback from Meta arrives before the send's own answer is recorded. */
      race: fc.constantFrom<M.DeliveryState | null>(null, null, null, null, 'delivered', 'read', 'failed', 'sent'),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('status' as const),
      reply: fc.nat({ max: 20 }),
      states: fc.array(fc.constantFrom<M.DeliveryState>('sent', 'delivered', 'read', 'failed'), { minLength: 1, maxLength: 4 }),
      callbackData: fc.boolean(),
      stranger: fc.constantFrom(false, false, true),
    }),
  },
);

// ---------------------------------------------------------------------------------------------
// The system under test, per run.

interface Real {
  orgId: string;
  token: string;
  users: [string, string];
  numbers: M.NumberState[];
  /** The org's rows after the previous command: statuses may only have moved forwards since. */
  previous: M.OrgRows | null;
}

let sequence = 0;
const unique = () => `${process.pid}${Date.now().toString(36)}${(++sequence).toString(36)}`;
const digits = (prefix: string) => `${prefix}${process.pid}${String(++sequence).padStart(7, '0')}`.slice(0, 30);
const CUSTOMERS: Record<M.Platform, string[]> = {
  whatsapp: ['15550001001', '15550001002', '15550001003'],
  instagram: ['99887766554433001', '99887766554433002', '99887766554433003'],
};

async function freshOrg(): Promise<Real> {
  const { core, uow } = world.gw;
  const org = await core.createOrg({ uow, input: { name: `Model ${orgs.length}`, plan: 'pro' } });
  orgs.push(org.id);
  const olga = await core.createUser({ uow, input: { orgId: org.id, name: 'Olga' } });
  const oscar = await core.createUser({ uow, input: { orgId: org.id, name: 'Oscar' } });
  const { key, token } = await core.createApiKey({ uow, input: { orgId: org.id, scopes: [...SCOPES] } });
  const add = async (owner: string, platform: M.Platform): Promise<M.NumberState> => {
    const metaId = digits(platform === 'whatsapp' ? '7' : '17');
    const phone = await core.addPhoneNumber({
      ctx: { uow, actor: core.actorFor(key, owner) },
      input: { platform, metaPhoneNumberId: metaId, accessToken: `EAAG-model-${unique()}`, ...(platform === 'whatsapp' ? { wabaId: '102290129340398' } : {}) },
    });
    return { id: phone.id, metaId, platform, owner };
  };
  const numbers = [await add(olga.id, 'whatsapp'), await add(olga.id, 'whatsapp'), await add(oscar.id, 'instagram')];
  return { orgId: org.id, token, users: [olga.id, oscar.id], numbers, previous: null };
}

const setup = async () => {
  if (runsInWorld >= RUNS_PER_WORLD) await newWorld();
  runsInWorld++;
  // Each run answers for its own unexpected errors (a shrink replays many runs after one failed).
  world.gw.unexpected.length = 0;
  const real = await freshOrg();
  return { model: M.newModel(LIMIT, real.users, real.numbers), real };
};

// ---------------------------------------------------------------------------------------------
// Requests.

async function send(r: Real, dialect: Dialect, method: string, path: string, body?: unknown, pathUser?: string): Promise<Answer> {
  const headers: Record<string, string> = dialect === 'org' ? { authorization: `Bearer ${r.token}` } : { 'x-api-key': r.token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const prefix = dialect === 'org' ? '/api/v1' : `/v1/users/${pathUser ?? r.users[0]}`;
  return world.request({ method, path: `${prefix}${path}`, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

const signed = (body: unknown): Promise<Answer> => world.request(signedWebhook(body, APP_SECRET));

function whatsapp(number: M.NumberState, value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550100100', phone_number_id: number.metaId }, ...value } }] }],
  };
}

function customerMessage(number: M.NumberState, customer: string, pmid: string) {
  if (number.platform === 'whatsapp') {
    return whatsapp(number, {
      contacts: [{ profile: { name: 'Customer' }, wa_id: customer }],
      messages: [{ from: customer, id: pmid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Where is my order?' } }],
    });
  }
  return {
    object: 'instagram',
    entry: [{ id: number.metaId, time: Date.now(), messaging: [{ sender: { id: customer }, recipient: { id: number.metaId }, timestamp: Date.now(), message: { mid: pmid, text: 'Where is my order?' } }] }],
  };
}

const META_FAILURE = { code: 131026, title: 'Message undeliverable' };

// ---------------------------------------------------------------------------------------------
// Checks.

/** The answer the model expects, in the dialect's shape (contract §3, §4). */
function expectOutcome(a: Answer, dialect: Dialect, outcome: M.Outcome, success: number, what: string): void {
  const context = `${what} → ${a.status} ${a.text.slice(0, 300)}`;
  const legacy = (status: number, message: string | RegExp) => {
    expect(a.status, context).toBe(status);
    expect(isLegacyError(status, a.json), context).toBe(true);
    const text = (a.json as { message: string }).message;
    if (typeof message === 'string') expect(text, context).toBe(message);
    else expect(text, context).toMatch(message);
  };
  const org = (status: number, code: string) => {
    expect(a.status, context).toBe(status);
    expect(isOrgError(status, a.json), context).toBe(true);
    expect((a.json as { error: { code: string } }).error.code, context).toBe(code);
  };
  tally(`answer ${outcome.kind}`);
  switch (outcome.kind) {
    case 'ok':
      expect(a.status, context).toBe(success);
      return;
    case 'not_found':
      if (dialect === 'legacy') legacy(404, outcome.entity === 'agent' ? 'Agent not found' : 'Phone number not found');
      else if (outcome.entity === 'agent') org(404, 'agent_not_found');
      else org(422, 'validation_failed');
      return;
    case 'plan_limit':
      if (dialect === 'legacy') legacy(400, `Agent limit of ${LIMIT} reached for this plan`);
      else {
        org(422, 'validation_failed');
        expect((a.json as { error: { details: { field: string }[] } }).error.details.map((d) => d.field), context).toContain('plan');
      }
      return;
    case 'number_in_use':
      if (dialect === 'legacy') legacy(409, 'Phone number already has an active agent');
      else org(409, 'phone_number_in_use');
      return;
    case 'handle_taken':
      if (dialect === 'legacy') legacy(409, /handle/);
      else org(409, 'agent_handle_taken');
  }
}

/** The database against the model and the rules, after a command. */
async function verify(m: M.Model, r: Real, what: string, rows?: M.OrgRows): Promise<void> {
  const now = rows ?? M.orgRows(await world.snapshot(), r.orgId);
  const problems = [...M.ruleProblems(now, LIMIT, r.previous), ...M.modelProblems(m, now)];
  r.previous = now;
  expect(world.gw.unexpected, `${what}: the dialects reported unexpected errors`).toEqual([]);
  if (problems.length > 0) throw new Error(`after ${what}:\n  ${problems.join('\n  ')}`);
}

// ---------------------------------------------------------------------------------------------
// Running a command.

const other = (r: Real, user: string) => (user === r.users[0] ? r.users[1] : r.users[0]);
const ownerOf = (m: M.Model, r: Real, numberId: string | null) => (numberId === null ? r.users[0] : M.numberOf(m, numberId).owner);
const agentAt = (m: M.Model, ix: number) => m.agents[ix % m.agents.length] as M.AgentState;
const numbersWithConversations = (m: M.Model, r: Real) => r.numbers.filter((n) => m.conversations.some((c) => c.number === n.id));
const sentReplies = (m: M.Model) => M.replies(m).filter((x) => x.reply.metaId !== null);
const INSTRUCTIONS = ['Help customers with their orders.', 'Answer questions about deliveries.', 'Be brief and kind.'];
const PROMPTS = ['pmpt_support_v1', 'pmpt_sales:2', 'pmpt.model-3'];

function applicable(m: M.Model, step: Step): boolean {
  switch (step.kind) {
    case 'rename':
    case 'instruct':
    case 'deactivate':
    case 'reactivate':
    case 'move':
    case 'rehandle':
    case 'delete':
    case 'read':
      return m.agents.length > 0;
    case 'redeliver':
      return m.inbound.length > 0;
    case 'status':
      return sentReplies(m).length > 0;
    case 'takeover':
      return m.conversations.length > 0;
    default:
      return true;
  }
}

async function create(m: M.Model, r: Real, step: { dialect: Dialect; number: string | null; name: string; handle: string; otherUser: boolean }, what: string) {
  const owner = ownerOf(m, r, step.number);
  const pathUser = step.otherUser ? other(r, owner) : owner;
  const request: M.CreateRequest =
    step.dialect === 'legacy'
      ? { dialect: 'legacy', number: step.number, name: step.name, pathUser, promptId: PROMPTS[0] }
      : { dialect: 'org', number: step.number, name: step.name, handle: step.handle, instructions: INSTRUCTIONS[0] };
  const plan = M.planCreate(m, request);
  const answer =
    step.dialect === 'legacy'
      ? await send(r, 'legacy', 'POST', '/agents', { phone_number_id: step.number, prompt_id: request.promptId, name: step.name }, pathUser)
      : await send(r, 'org', 'POST', '/agents', { handle: step.handle, name: step.name, instructions: request.instructions, ...(step.number !== null ? { phone_number_id: step.number } : {}) });
  expectOutcome(answer, step.dialect, plan.outcome, 201, what);
  if (plan.outcome.kind !== 'ok') return;
  const body = answer.json as { agent_id?: string; data?: { id: string; handle: string; is_active: boolean } };
  const id = step.dialect === 'legacy' ? body.agent_id : body.data?.id;
  if (typeof id !== 'string') throw new Error(`${what}: no agent id in ${answer.text}`);
  if (step.dialect === 'org') expect(body.data, what).toMatchObject({ handle: step.handle, is_active: true, phone_number_id: step.number });
  M.applyCreate(m, request, id, plan.handle);
}

async function update(m: M.Model, r: Real, agent: M.AgentState, dialect: Dialect, request: M.UpdateRequest, body: Record<string, unknown>, what: string) {
  const plan = M.planUpdate(m, agent, request);
  const answer = await send(r, dialect, 'PATCH', `/agents/${agent.id}`, body, request.pathUser);
  expectOutcome(answer, dialect, plan.outcome, 200, what);
  if (plan.outcome.kind === 'ok') M.applyUpdate(m, agent, plan.next, plan.takesOver);
}

async function remove(m: M.Model, r: Real, agent: M.AgentState, dialect: Dialect, pathUser: string, what: string) {
  const outcome = M.planDelete(m, agent, dialect, pathUser);
  const answer = await send(r, dialect, 'DELETE', `/agents/${agent.id}`, undefined, pathUser);
  expectOutcome(answer, dialect, outcome, 200, what);
  if (outcome.kind !== 'ok') return;
  expect(answer.json, what).toEqual(dialect === 'legacy' ? { agent_id: agent.id, deleted: true } : { data: { id: agent.id, deleted: true }, meta: expect.anything() });
  M.applyDelete(m, agent);
  // R3: gone in both dialects, and a second delete finds nothing.
  expectOutcome(await send(r, 'org', 'GET', `/agents/${agent.id}`), 'org', { kind: 'not_found', entity: 'agent' }, 200, `${what}, then org GET`);
  expectOutcome(await send(r, 'legacy', 'GET', `/agents/${agent.id}`, undefined, pathUser), 'legacy', { kind: 'not_found', entity: 'agent' }, 200, `${what}, then legacy GET`);
  const again = dialect === 'legacy' ? 'org' : 'legacy';
  expectOutcome(await send(r, again, 'DELETE', `/agents/${agent.id}`, undefined, pathUser), again, { kind: 'not_found', entity: 'agent' }, 200, `${what}, then ${again} DELETE`);
}

async function read(m: M.Model, r: Real, agent: M.AgentState, what: string) {
  const viaOrg = await send(r, 'org', 'GET', `/agents/${agent.id}`);
  if (agent.deleted) expectOutcome(viaOrg, 'org', { kind: 'not_found', entity: 'agent' }, 200, what);
  else {
    expect(viaOrg.status, what).toBe(200);
    expect((viaOrg.json as { data: unknown }).data, what).toMatchObject({ id: agent.id, handle: agent.handle, name: agent.name, phone_number_id: agent.number, is_active: agent.isActive });
  }
  const user = ownerOf(m, r, agent.number);
  const viaLegacy = await send(r, 'legacy', 'GET', `/agents/${agent.id}`, undefined, user);
  if (!M.legacyVisible(m, agent, user)) expectOutcome(viaLegacy, 'legacy', { kind: 'not_found', entity: 'agent' }, 200, what);
  else {
    expect(viaLegacy.status, what).toBe(200);
    expect(viaLegacy.json, what).toMatchObject({ agent_id: agent.id, user_id: user, name: agent.name, phone_number_id: agent.number, prompt_id: agent.promptId });
  }
}

/**
 * R2 and §8 "What the dialects show": every agent and conversation reads the same in both dialects,
 * archived conversations included, and replies carry their status and failure reason.
 */
async function browse(m: M.Model, r: Real, step: Extract<Step, { kind: 'browse' }>, what: string) {
  const liveAgents = M.live(m);
  const orgList = await send(r, 'org', 'GET', '/agents?limit=100');
  expect(orgList.status, what).toBe(200);
  expect((orgList.json as { data: { id: string }[] }).data.map((a) => a.id).sort(), `${what}: org agent list`).toEqual(liveAgents.map((a) => a.id).sort());
  for (const user of r.users) {
    const legacyList = await send(r, 'legacy', 'GET', '/agents?limit=100', undefined, user);
    expect(legacyList.status, what).toBe(200);
    const body = legacyList.json as { agents: { agent_id: string }[]; pagination: { total: number } };
    const visible = liveAgents.filter((a) => M.legacyVisible(m, a, user)).map((a) => a.id).sort();
    expect(body.agents.map((a) => a.agent_id).sort(), `${what}: legacy agent list of ${user}`).toEqual(visible);
    expect(body.pagination.total, what).toBe(visible.length);
  }
  const summary = await send(r, 'org', 'GET', '/org');
  expect(summary.status, what).toBe(200);
  expect((summary.json as { data: unknown }).data, `${what}: R10 usage`).toMatchObject({ limits: { agents: LIMIT }, usage: { agents: liveAgents.length } });
  if (m.conversations.length === 0) return;
  const c = m.conversations[step.conversation % m.conversations.length] as M.ConversationState;
  const owner = M.numberOf(m, c.number).owner;
  const viaOrg = await send(r, 'org', 'GET', `/conversations/${c.id}`);
  expect(viaOrg.status, what).toBe(200);
  expect((viaOrg.json as { data: unknown }).data, what).toMatchObject({ id: c.id, agent_id: c.agent, phone_number_id: c.number, customer_id: c.customer, status: c.status, archive_reason: c.archiveReason, message_count: c.messages.length });
  const viaLegacy = await send(r, 'legacy', 'GET', `/conversations/${c.id}`, undefined, owner);
  expect(viaLegacy.status, what).toBe(200);
  expect(viaLegacy.json, what).toMatchObject({ conversation_id: c.id, agent_id: c.agent, phone_number_id: c.number, customer_id: c.customer, status: c.status, message_count: c.messages.length });
  const orgMessages = await send(r, 'org', 'GET', `/conversations/${c.id}/messages?limit=100`);
  expect(orgMessages.status, what).toBe(200);
  expect(
    (orgMessages.json as { data: { role: string; status: string; failure_reason: string | null }[] }).data.map((x) => [x.role, x.status, x.failure_reason]),
    `${what}: org messages of ${c.id}`,
  ).toEqual(c.messages.map((x) => [x.role, x.status, x.failureReason]));
  const legacyMessages = await send(r, 'legacy', 'GET', `/conversations/${c.id}/messages?limit=100`, undefined, owner);
  expect(legacyMessages.status, what).toBe(200);
  expect(
    (legacyMessages.json as { messages: { sender: string; status: string; failure_reason: string | null }[] }).messages.map((x) => [x.sender, x.status, x.failure_reason]),
    `${what}: legacy messages of ${c.id}`,
  ).toEqual(c.messages.map((x) => [x.role === 'assistant' ? 'agent' : 'user', x.status, x.failureReason]));
}

async function inbound(m: M.Model, r: Real, message: { number: string; customer: string; pmid: string; platform: M.Platform }, what: string) {
  const number = M.numberOf(m, message.number);
  const answer = await signed(customerMessage(number, message.customer, message.pmid));
  expect(answer.status, `${what} → ${answer.text}`).toBe(200);
  const rows = M.orgRows(await world.snapshot(), r.orgId);
  const known = new Set(m.conversations.map((c) => c.id));
  const received = M.receive(m, message, () => {
    const opened = rows.conversations.filter((c) => !known.has(String(c.id)) && c.phone_number_id === message.number && c.customer_id === message.customer);
    if (opened.length !== 1) throw new Error(`${what}: expected one new conversation, the database has ${opened.length}`);
    return String(opened[0]?.id);
  });
  if (!received.duplicate && !m.inbound.some((x) => x.pmid === message.pmid)) m.inbound.push(message);
  await verify(m, r, what, rows);
}

const turnsAt = (m: M.Model, stage: M.JobState['stage']) =>
  [...m.jobs.values()].filter((j) => j.held && j.stage === stage).sort((a, b) => a.conversation.localeCompare(b.conversation));

/** §8: claim every due turn of the org and begin it (the agent must still answer). */
async function turnClaim(m: M.Model, r: Real, what: string) {
  const { core, uow } = world.gw;
  const expected = M.claim(m).map((j) => ({ conversationId: j.conversation, epoch: j.epoch }));
  const claimed = await core.claimReplyTurns({ uow, leaseMs: LEASE_MS, limit: 100, skipOrgIds: orgs.filter((id) => id !== r.orgId) });
  const byId = (a: { conversationId: string }, b: { conversationId: string }) => a.conversationId.localeCompare(b.conversationId);
  expect(claimed.map((j) => ({ conversationId: j.conversationId, epoch: j.epoch })).sort(byId), `${what}: the turns claimed`).toEqual(expected.sort(byId));
  for (const { conversationId, epoch } of expected) {
    const begun = await core.beginReplyTurn({ uow, conversationId, epoch, historyLimit: 20 });
    expect(begun.kind, `${what}: begin ${conversationId}`).toBe(M.begin(m, conversationId));
    if (begun.kind !== 'answer') continue;
    expect(begun.agent.id, what).toBe(M.conversation(m, conversationId).agent);
    expect(begun.interrupted, what).toBe(0);
    // §8: on WhatsApp the customer's latest message is marked read at once (with the number's token).
    expect(begun.readReceiptToken !== null, what).toBe(M.numberOf(m, M.conversation(m, conversationId).number).platform === 'whatsapp');
    tally('turn begun');
  }
}

/** §8: the model answered every begun turn (or failed): its reply is stored before anything is sent, unless the agent stopped answering meanwhile. */
async function turnStore(m: M.Model, modelFails: boolean, what: string) {
  const { core, uow } = world.gw;
  for (const { conversation: conversationId, epoch } of turnsAt(m, 'begun')) {
    const failure = modelFails ? 'model 500: upstream unavailable' : null;
    const stored = await core.storeReply({ uow, conversationId, epoch, parts: failure === null ? ['Thanks, it ships tomorrow.'] : [], failureReason: failure });
    const predicted = M.mayStore(m, conversationId);
    expect(stored.kind, `${what}: storeReply of ${conversationId}`).toBe(predicted);
    if (stored.kind !== 'stored') continue;
    expect(stored.messages.length, what).toBe(1);
    M.store(m, conversationId, stored.messages[0]?.id as string, failure);
    if (failure !== null) {
      // Nothing to send: the worker ends the turn at once.
      expect(await core.finishReplyTurn({ uow, conversationId, epoch }), `${what}: finish ${conversationId}`).toBe(M.finish(m, conversationId));
    }
  }
}

/** §8: send every stored reply of a held turn (a fake Meta id; or the answer lost: interrupted), then end the turn. */
async function turnSend(m: M.Model, step: { interrupted: boolean; race: M.DeliveryState | null }, what: string) {
  const { interrupted } = step;
  const { core, uow } = world.gw;
  for (const job of turnsAt(m, 'stored')) {
    const { conversation: conversationId, epoch } = job;
    const replyId = job.reply as string;
    const c = M.conversation(m, conversationId);
    const permit = await core.prepareSend({ uow, conversationId, epoch, messageId: replyId });
    const predicted = M.prepare(m, conversationId, replyId);
    if (predicted === 'send') {
      if (permit.kind !== 'send') throw new Error(`${what}: prepareSend of ${replyId} answered ${JSON.stringify(permit)}, the agent still answers`);
      M.notePermit(m, replyId);
      tally('reply sent');
      expect(permit.customerId, what).toBe(c.customer);
      const metaId = M.numberOf(m, c.number).platform === 'whatsapp' ? `wamid.MODEL${unique()}` : `aWdfmodel${unique()}`;
      if (step.race !== null) await deliverStatuses(m, c, replyId, metaId, { states: [step.race], callbackData: true, stranger: false }, `${what}: a status before the send's answer`);
      await core.recordSendOutcome({ uow, messageId: replyId, outcome: interrupted ? { kind: 'interrupted' } : { kind: 'sent', platformMessageId: metaId } });
      M.recordSend(m, conversationId, replyId, metaId, interrupted ? 'interrupted' : 'sent');
    } else {
      expect(permit, `${what}: prepareSend of ${replyId} after the agent stopped answering`).toEqual({ kind: 'skipped', reason: M.AGENT_UNAVAILABLE });
    }
    // At most once: a worker that asks again for the same reply is not let out a second time.
    const retry = await core.prepareSend({ uow, conversationId, epoch, messageId: replyId });
    if (retry.kind === 'send') M.notePermit(m, replyId);
    expect(retry, `${what}: a second prepareSend of ${replyId}`).toEqual({ kind: 'skipped', reason: 'not_pending' });
    const ended = await core.finishReplyTurn({ uow, conversationId, epoch });
    expect(ended, `${what}: finish ${conversationId}`).toBe(M.finish(m, conversationId));
  }
}

async function statuses(m: M.Model, step: Extract<Step, { kind: 'status' }>, what: string) {
  const list = sentReplies(m);
  const { reply, conversation: c } = list[step.reply % list.length] as (typeof list)[number];
  await deliverStatuses(m, c, reply.id as string, reply.metaId as string, step, what);
}

/**
 * Meta's status callbacks for one reply, in the order given, repeats included: WhatsApp `statuses[]`
 * (with `biz_opaque_callback_data` when asked), Instagram `read` events (all it reports); `stranger`
 * adds one for a message the gateway never sent.
 */
async function deliverStatuses(
  m: M.Model,
  c: M.ConversationState,
  replyId: string,
  metaId: string,
  step: { states: M.DeliveryState[]; callbackData: boolean; stranger: boolean },
  what: string,
) {
  const number = M.numberOf(m, c.number);
  const stranger = `wamid.STRANGER${unique()}`;
  let answer: Answer;
  if (number.platform === 'whatsapp') {
    const entries = step.states.map((state) => ({
      id: metaId,
      status: state,
      timestamp: String(Math.floor(Date.now() / 1000)),
      recipient_id: c.customer,
      ...(step.callbackData ? { biz_opaque_callback_data: replyId } : {}),
      ...(state === 'failed' ? { errors: [META_FAILURE] } : {}),
    }));
    if (step.stranger) entries.splice(1, 0, { id: stranger, status: 'read', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: c.customer });
    answer = await signed(whatsapp(number, { statuses: entries }));
    for (const state of step.states) {
      M.applyStatus(m, {
        number: number.id,
        platformMessageId: metaId,
        status: state,
        failureReason: state === 'failed' ? `meta ${META_FAILURE.code}: ${META_FAILURE.title}` : null,
        callbackData: step.callbackData ? replyId : null,
      });
    }
  } else {
    // Instagram tells only that the customer read a message.
    const reads = Math.max(1, step.states.filter((s) => s === 'read').length);
    const events = Array.from({ length: reads }, () => ({ sender: { id: c.customer }, recipient: { id: number.metaId }, timestamp: Date.now(), read: { mid: metaId } }));
    if (step.stranger) events.push({ sender: { id: c.customer }, recipient: { id: number.metaId }, timestamp: Date.now(), read: { mid: stranger } });
    answer = await signed({ object: 'instagram', entry: [{ id: number.metaId, time: Date.now(), messaging: events }] });
    for (let i = 0; i < reads; i++) M.applyStatus(m, { number: number.id, platformMessageId: metaId, status: 'read', failureReason: null, callbackData: null });
  }
  expect(answer.status, `${what} → ${answer.text}`).toBe(200);
}

async function takeover(m: M.Model, r: Real, step: Extract<Step, { kind: 'takeover' }>, what: string) {
  const candidates = numbersWithConversations(m, r);
  const number = candidates[step.number % candidates.length] as M.NumberState;
  const owner = number.owner;
  const holder = M.activeOn(m, number.id);
  if (holder) {
    if (step.release === 'deactivate') await update(m, r, holder, 'org', { dialect: 'org', isActive: false }, { is_active: false }, `${what}: deactivate the holder`);
    else if (step.release === 'detach') await update(m, r, holder, 'org', { dialect: 'org', number: null }, { phone_number_id: null }, `${what}: detach the holder`);
    else await remove(m, r, holder, step.dialect, owner, `${what}: delete the holder`);
  }
  const sleeper = step.by === 'reactivate' ? m.agents.find((a) => !a.deleted && !a.isActive && a.number === number.id && a.id !== holder?.id) : undefined;
  if (sleeper) await update(m, r, sleeper, 'org', { dialect: 'org', isActive: true }, { is_active: true }, `${what}: re-activate ${sleeper.id}`);
  else await create(m, r, { dialect: step.dialect, number: number.id, name: step.name, handle: step.handle, otherUser: false }, `${what}: create on ${number.id}`);
}

async function runStep(m: M.Model, r: Real, step: Step): Promise<void> {
  const what = JSON.stringify(step);
  tally(step.kind);
  switch (step.kind) {
    case 'create': {
      // The legacy dialect needs a number.
      const ix = step.number ?? (step.dialect === 'legacy' ? 0 : null);
      await create(m, r, { ...step, number: ix === null ? null : (r.numbers[ix] as M.NumberState).id }, what);
      break;
    }
    case 'rename': {
      const agent = agentAt(m, step.agent);
      const owner = ownerOf(m, r, agent.number);
      const pathUser = step.otherUser ? other(r, owner) : owner;
      await update(m, r, agent, step.dialect, { dialect: step.dialect, pathUser, name: step.name }, { name: step.name }, what);
      break;
    }
    case 'instruct': {
      const agent = agentAt(m, step.agent);
      const pathUser = ownerOf(m, r, agent.number);
      if (step.dialect === 'legacy') {
        const promptId = PROMPTS[step.variant] as string;
        await update(m, r, agent, 'legacy', { dialect: 'legacy', pathUser, promptId }, { prompt_id: promptId }, what);
      } else {
        const instructions = INSTRUCTIONS[step.variant] as string;
        await update(m, r, agent, 'org', { dialect: 'org', instructions }, { instructions }, what);
      }
      break;
    }
    case 'deactivate':
    case 'reactivate': {
      const isActive = step.kind === 'reactivate';
      await update(m, r, agentAt(m, step.agent), 'org', { dialect: 'org', isActive }, { is_active: isActive }, what);
      break;
    }
    case 'move': {
      const agent = agentAt(m, step.agent);
      const pathUser = ownerOf(m, r, agent.number);
      // The legacy dialect cannot take an agent off its number.
      const ix = step.number ?? (step.dialect === 'legacy' ? (step.agent + 1) % 3 : null);
      const target = ix === null ? null : (r.numbers[ix] as M.NumberState).id;
      const activate = step.activate && step.dialect === 'org';
      await update(
        m,
        r,
        agent,
        step.dialect,
        { dialect: step.dialect, pathUser, number: target, ...(activate ? { isActive: true } : {}) },
        { phone_number_id: target, ...(activate ? { is_active: true } : {}) },
        what,
      );
      break;
    }
    case 'rehandle':
      await update(m, r, agentAt(m, step.agent), 'org', { dialect: 'org', handle: step.handle }, { handle: step.handle }, what);
      break;
    case 'delete': {
      const agent = agentAt(m, step.agent);
      const owner = ownerOf(m, r, agent.number);
      await remove(m, r, agent, step.dialect, step.otherUser ? other(r, owner) : owner, what);
      break;
    }
    case 'read':
      await read(m, r, agentAt(m, step.agent), what);
      break;
    case 'browse':
      await browse(m, r, step, what);
      break;
    case 'inbound': {
      const answered = r.numbers.filter((n) => M.activeOn(m, n.id) !== null);
      const pool = step.toAgent && answered.length > 0 ? answered : r.numbers;
      const number = pool[step.number % pool.length] as M.NumberState;
      const customer = CUSTOMERS[number.platform][step.customer] as string;
      const pmid = number.platform === 'whatsapp' ? `wamid.IN${unique()}` : `aWdfIN${unique()}`;
      await inbound(m, r, { number: number.id, customer, pmid, platform: number.platform }, what);
      return;
    }
    case 'redeliver':
      await inbound(m, r, m.inbound[step.message % m.inbound.length] as M.Model['inbound'][number], what);
      return;
    case 'takeover':
      await takeover(m, r, step, what);
      break;
    case 'turn':
      if (step.part === 'whole' || step.part === 'claim') await turnClaim(m, r, what);
      if (step.part === 'whole' || step.part === 'store') await turnStore(m, step.modelFails, what);
      if (step.part === 'whole' || step.part === 'send') await turnSend(m, step, what);
      break;
    case 'status':
      await statuses(m, step, what);
      break;
  }
  await verify(m, r, what);
}

class StepCommand implements fc.AsyncCommand<M.Model, Real> {
  constructor(readonly step: Step) {}
  check(m: Readonly<M.Model>): boolean {
    return applicable(m as M.Model, this.step);
  }
  run(m: M.Model, r: Real): Promise<void> {
    return runStep(m, r, this.step);
  }
  toString(): string {
    return JSON.stringify(this.step);
  }
}

/** Replays one exact history (a minimal failing one, kept as a regression test). */
const replay = (steps: Step[]) => fc.asyncModelRun(setup, steps.map((s) => new StepCommand(s)));

// ---------------------------------------------------------------------------------------------

describe('model-based: random histories across both dialects, the webhook and the reply turn', () => {
  it(
    'R1, R2, R3, R4, R10 and §8 hold after every command, and every answer is the one the reference model expects',
    async () => {
      // Plain lists of steps (not fc.commands): a shrunk counterexample prints as JSON that `replay` takes as it is.
      const histories = fc.array(STEP, { maxLength: MAX_COMMANDS, size: 'max' });
      await fc.assert(
        fc.asyncProperty(histories, (steps) => replay(steps)),
        runs(RUNS) as fc.Parameters<[Step[]]>,
      );
    },
    600_000 * RUNS_FACTOR,
  );
});

describe('model-based: histories kept as regression tests', () => {
  it('R2: a takeover archives the previous agent’s and the agent-less conversations, each with its archival record; the customer’s next message opens a new conversation', () =>
    replay([
      { kind: 'inbound', number: 0, customer: 0, toAgent: false },
      { kind: 'create', dialect: 'legacy', number: 0, name: 'Front Desk', handle: 'sales', otherUser: false },
      { kind: 'inbound', number: 0, customer: 1, toAgent: false },
      { kind: 'takeover', dialect: 'org', number: 0, release: 'deactivate', by: 'create', name: 'Sales', handle: 'frontDesk2' },
      { kind: 'inbound', number: 0, customer: 1, toAgent: false },
      { kind: 'read', agent: 0 },
    ]));

  it('R1 and R4 across dialects: a legacy agent and an org agent contend for one number and one handle, case-insensitively', () =>
    replay([
      { kind: 'create', dialect: 'legacy', number: 1, name: 'Sales', handle: 'sales', otherUser: false },
      { kind: 'create', dialect: 'org', number: 1, name: 'Sales', handle: 'SALES2', otherUser: false },
      { kind: 'create', dialect: 'org', number: null, name: 'Sales', handle: 'Sales', otherUser: false },
      { kind: 'create', dialect: 'legacy', number: 0, name: 'Sales', handle: 'sales', otherUser: false },
      { kind: 'move', dialect: 'legacy', agent: 2, number: 1, activate: false },
      { kind: 'rehandle', agent: 0, handle: 'SALES2' },
    ]));

  it('R3 and R10: at the plan limit a create is refused in both dialects; a delete frees a place, the handle and the number', () =>
    replay([
      { kind: 'create', dialect: 'org', number: 0, name: 'Support', handle: 'support', otherUser: false },
      { kind: 'create', dialect: 'legacy', number: 1, name: 'Support', handle: 'support', otherUser: false },
      { kind: 'create', dialect: 'org', number: null, name: 'Sales', handle: 'sales', otherUser: false },
      { kind: 'create', dialect: 'org', number: 2, name: 'Sales', handle: 'salesTeam', otherUser: false },
      { kind: 'create', dialect: 'legacy', number: 2, name: 'SALES team', handle: 'sales', otherUser: false },
      { kind: 'create', dialect: 'org', number: null, name: 'Front Desk', handle: 'desk', otherUser: false },
      { kind: 'create', dialect: 'legacy', number: 0, name: 'Front Desk', handle: 'desk', otherUser: false },
      { kind: 'create', dialect: 'org', number: null, name: 'Front Desk', handle: 'frontDesk', otherUser: false },
      { kind: 'delete', dialect: 'legacy', agent: 0, otherUser: false },
      { kind: 'create', dialect: 'org', number: 0, name: 'Support', handle: 'SUPPORT', otherUser: false },
    ]));

  it('§8: a takeover between storing a reply and its send fails it as agent_unavailable; statuses of a sent reply move forwards only, in any order, repeated', () =>
    replay([
      { kind: 'create', dialect: 'org', number: 0, name: 'Sales', handle: 'sales', otherUser: false },
      { kind: 'inbound', number: 0, customer: 0, toAgent: false },
      { kind: 'turn', part: 'whole', interrupted: false, modelFails: false, race: null },
      { kind: 'status', reply: 0, states: ['read', 'delivered', 'sent', 'read'], callbackData: false, stranger: true },
      { kind: 'status', reply: 0, states: ['failed', 'delivered'], callbackData: true, stranger: false },
      { kind: 'inbound', number: 0, customer: 0, toAgent: false },
      { kind: 'turn', part: 'claim', interrupted: false, modelFails: false, race: null },
      { kind: 'turn', part: 'store', interrupted: false, modelFails: false, race: null },
      { kind: 'inbound', number: 0, customer: 0, toAgent: false },
      { kind: 'takeover', dialect: 'legacy', number: 0, release: 'delete', by: 'create', name: 'Support', handle: 'support' },
      { kind: 'turn', part: 'send', interrupted: false, modelFails: false, race: null },
      { kind: 'inbound', number: 0, customer: 0, toAgent: false },
      { kind: 'turn', part: 'whole', interrupted: false, modelFails: false, race: null },
    ]));

  it('§8: messages that arrive while a turn is held are answered by the next turn, once; an interrupted send is settled by its status callback', () =>
    replay([
      { kind: 'create', dialect: 'legacy', number: 2, name: 'Émile Bot', handle: 'sales', otherUser: false },
      { kind: 'create', dialect: 'org', number: 0, name: 'Support', handle: 'support', otherUser: false },
      { kind: 'inbound', number: 2, customer: 0, toAgent: false },
      { kind: 'inbound', number: 0, customer: 1, toAgent: false },
      { kind: 'turn', part: 'claim', interrupted: false, modelFails: false, race: null },
      { kind: 'turn', part: 'store', interrupted: false, modelFails: false, race: null },
      { kind: 'inbound', number: 2, customer: 0, toAgent: false },
      { kind: 'redeliver', message: 2 },
      { kind: 'turn', part: 'send', interrupted: true, modelFails: false, race: null },
      { kind: 'turn', part: 'whole', interrupted: false, modelFails: false, race: null },
      { kind: 'status', reply: 1, states: ['delivered', 'sent'], callbackData: true, stranger: false },
      { kind: 'status', reply: 0, states: ['read'], callbackData: false, stranger: false },
      { kind: 'status', reply: 2, states: ['failed', 'read'], callbackData: false, stranger: false },
    ]));
});
