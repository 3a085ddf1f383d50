import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { StorageError, type Core } from '@gateway/core';
import { appWith, client, expectLegacyError, expectNoUnexpected, legacyWorld, type Call, type LegacyWorld, type Reply } from './helpers';
import type { LegacyStatus } from '../src/errors';

/**
 * The legacy error table (contract §3 and the routes' error column), one row per error: each row is
 * produced through HTTP in the legacy shape, its correlation_id equal to X-Request-ID.
 */

let w: LegacyWorld;
let agentId: string;
let heldNumber: string;
let limited: Call;
let limitedPath = '';
let atPlanLimit: () => Promise<Reply<unknown>>;
let failing: Call;
let unavailable: Call;
/** The other worlds some rows need (a tight rate limit, an org at its plan limit). */
const closeLater: LegacyWorld[] = [];

beforeAll(async () => {
  w = await legacyWorld();
  const made = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: w.gw.numbers.alice.id, prompt_id: 'p', name: 'Holder' } });
  agentId = made.body.agent_id;
  heldNumber = w.gw.numbers.alice.id;
  await w.call('POST', `${w.paths.bob}/agents`, { json: { phone_number_id: w.gw.numbers.bob.id, prompt_id: 'p', name: 'Bob' } });

  const full = await legacyWorld({ plan: 'free', planLimits: { free: 1, pro: 100, enterprise: null } });
  await full.call('POST', `${full.paths.alice}/agents`, { json: { phone_number_id: full.gw.numbers.alice.id, prompt_id: 'p', name: 'Only' } });
  atPlanLimit = () => full.call('POST', `${full.paths.alice}/agents`, { json: { phone_number_id: full.gw.numbers.aliceSpare.id, prompt_id: 'p', name: 'x' } });
  closeLater.push(full);

  const tight = await legacyWorld({ legacyLimits: { perMinute: 1, perHour: 1000 } });
  limited = tight.call;
  await limited('GET', `${tight.paths.alice}/agents`);
  limitedPath = `${tight.paths.alice}/agents`;
  closeLater.push(tight);

  failing = client(
    appWith(w.gw, { core: { ...w.gw.core, getAgent: async () => Promise.reject(new Error('boom')) } as Core }),
    w.gw.tokens.full,
  );
  unavailable = client(
    appWith(w.gw, { core: { ...w.gw.core, getAgent: async () => Promise.reject(new StorageError('unavailable', 'Storage is busy (SQLITE_BUSY)')) } as Core }),
    w.gw.tokens.full,
  );
});
afterAll(async () => {
  await w.gw.close();
  for (const other of closeLater) {
    expectNoUnexpected(other.gw);
    await other.gw.close();
  }
});
afterEach(() => expectNoUnexpected(w.gw));

interface Row {
  status: LegacyStatus;
  title: string;
  message: string | RegExp;
  produce: () => Promise<Reply<unknown>>;
  /** The row reports an unexpected error on purpose. */
  reports?: boolean;
}

const agents = () => `${w.paths.alice}/agents`;
const create = (json: unknown, headers: Record<string, string> = {}) => w.call('POST', agents(), { json, headers });

const ROWS: Row[] = [
  { status: 400, title: 'Validation error', message: 'prompt_id is required', produce: () => create({ phone_number_id: heldNumber, name: 'x' }) },
  { status: 400, title: 'Validation error', message: 'name must be a string', produce: () => create({ phone_number_id: heldNumber, prompt_id: 'p', name: 1 }) },
  { status: 400, title: 'Validation error', message: 'Invalid prompt_id', produce: () => create({ phone_number_id: heldNumber, prompt_id: ' p', name: 'x' }) },
  {
    status: 400,
    title: 'Validation error',
    message: 'Agent limit of 1 reached for this plan',
    produce: () => atPlanLimit(),
  },
  {
    status: 400,
    title: 'Validation error',
    message: 'At least one field (name, prompt_id, phone_number_id) must be provided',
    produce: () => w.call('PATCH', `${agents()}/${agentId}`, { json: {} }),
  },
  { status: 400, title: 'Validation error', message: 'limit must be an integer between 1 and 100', produce: () => w.call('GET', `${agents()}?limit=101`) },
  { status: 400, title: 'Validation error', message: 'offset must be an integer of at least 0', produce: () => w.call('GET', `${agents()}?offset=-1`) },
  {
    status: 400,
    title: 'Validation error',
    message: 'platform must be one of whatsapp, instagram',
    produce: () => w.call('POST', `${w.paths.alice}/phone_numbers`, { json: { platform: 'sms', meta_phone_number_id: '12345', access_token: 'EAAG-secret-x' } }),
  },
  {
    status: 400,
    title: 'Validation error',
    message: 'Request body is not valid JSON',
    produce: () => w.call('POST', agents(), { raw: '{', headers: { 'content-type': 'application/json' } }),
  },
  {
    status: 400,
    title: 'Validation error',
    message: 'Idempotency-Key must be 1-128 printable ASCII characters',
    produce: () => create({ phone_number_id: heldNumber, prompt_id: 'p', name: 'x' }, { 'Idempotency-Key': 'x'.repeat(200) }),
  },
  { status: 401, title: 'Unauthorized', message: 'Invalid API key', produce: () => w.call('GET', agents(), { token: 'sk_live_...' }) },
  {
    status: 403,
    title: 'Forbidden',
    message: 'This API key lacks the agents:read scope',
    produce: async () => w.call('GET', agents(), { token: await w.gw.tokens.withScopes(['agents:write']) }),
  },
  { status: 404, title: 'Not Found', message: 'Agent not found', produce: () => w.call('GET', `${agents()}/agent_000000000000000000000000`) },
  { status: 404, title: 'Not Found', message: 'Phone number not found', produce: () => create({ phone_number_id: 'pn_abc123', prompt_id: 'p', name: 'x' }) },
  { status: 404, title: 'Not Found', message: 'Phone number not found', produce: () => w.call('GET', `${w.paths.alice}/phone_numbers/pn_abc123`) },
  { status: 404, title: 'Not Found', message: 'Conversation not found', produce: () => w.call('GET', `${w.paths.alice}/conversations/conv_abc123`) },
  { status: 404, title: 'Not Found', message: 'Conversation not found', produce: () => w.call('GET', `${w.paths.alice}/conversations/conv_abc123/messages`) },
  { status: 404, title: 'Not Found', message: 'User not found', produce: () => w.call('GET', '/v1/users/usr_abc123/agents') },
  { status: 404, title: 'Not Found', message: 'Route GET /v1/teams not found', produce: () => w.call('GET', '/v1/teams', { token: null }) },
  { status: 405, title: 'Method Not Allowed', message: /^Method PUT is not allowed on /, produce: () => w.call('PUT', agents(), { token: null }) },
  {
    status: 409,
    title: 'Conflict',
    message: 'Phone number already has an active agent',
    produce: () => w.call('POST', `${w.paths.bob}/agents`, { json: { phone_number_id: w.gw.numbers.bob.id, prompt_id: 'p', name: 'x' } }),
  },
  {
    status: 409,
    title: 'Conflict',
    message: /^Agent with ID .+ already exists$/,
    produce: () => w.call('POST', `${w.paths.alice}/agents`, { json: { agent_id: agentId, phone_number_id: heldNumber, prompt_id: 'p', name: 'x' } }),
  },
  {
    status: 409,
    title: 'Conflict',
    message: 'Phone number already exists',
    produce: () =>
      w.call('POST', `${w.paths.alice}/phone_numbers`, { json: { platform: 'instagram', meta_phone_number_id: w.gw.numbers.bob.metaPhoneNumberId, access_token: 'EAAG-secret-x' } }),
  },
  {
    status: 409,
    title: 'Conflict',
    message: 'Cannot delete phone number with an active agent',
    produce: () => w.call('DELETE', `${w.paths.alice}/phone_numbers/${heldNumber}`),
  },
  {
    status: 409,
    title: 'Conflict',
    message: 'Idempotency-Key was already used with a different request',
    produce: async () => {
      await w.call('PATCH', `${agents()}/${agentId}`, { json: { name: 'One' }, headers: { 'Idempotency-Key': 'row-reuse' } });
      return w.call('PATCH', `${agents()}/${agentId}`, { json: { name: 'Two' }, headers: { 'Idempotency-Key': 'row-reuse' } });
    },
  },
  {
    status: 409,
    title: 'Conflict',
    message: 'A request with this Idempotency-Key is still being processed',
    produce: async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slowCore: Core = {
        ...w.gw.core,
        updateAgent: async (args) => {
          await gate;
          return w.gw.core.updateAgent(args);
        },
      };
      const slow = client(appWith(w.gw, { core: slowCore }), w.gw.tokens.full);
      const init = { json: { name: 'Slow' }, headers: { 'Idempotency-Key': 'row-in-use' } };
      const first = slow('PATCH', `${agents()}/${agentId}`, init);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const second = await slow('PATCH', `${agents()}/${agentId}`, init);
      release();
      await first;
      return second;
    },
  },
  {
    status: 413,
    title: 'Payload Too Large',
    message: 'Request body must be at most 1 MiB',
    produce: () => w.call('POST', agents(), { raw: `"${'x'.repeat(1024 * 1024)}"`, headers: { 'content-type': 'application/json' } }),
  },
  {
    status: 415,
    title: 'Unsupported Media Type',
    message: 'Content-Type must be application/json',
    produce: () => w.call('POST', agents(), { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
  },
  { status: 429, title: 'Too Many Requests', message: /^Rate limit exceeded/, produce: () => limited('GET', limitedPath) },
  { status: 500, title: 'Internal Server Error', message: 'An unexpected error occurred. Please try again later.', produce: () => failing('GET', `${agents()}/${agentId}`), reports: true },
  {
    status: 503,
    title: 'Service Unavailable',
    message: 'The service is temporarily unavailable. Please retry shortly.',
    produce: () => unavailable('GET', `${agents()}/${agentId}`),
    reports: true,
  },
];

describe('the legacy error table', () => {
  it.each(ROWS.map((row) => ({ ...row, label: `${row.status} ${row.title}: ${String(row.message)}` })))('$label', async (row) => {
    const res = await row.produce();
    expectLegacyError(res, row.status, row.title, row.message);
    if (row.reports) w.gw.unexpected.length = 0;
  });
});
