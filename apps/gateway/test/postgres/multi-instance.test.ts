import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, runCli, startServer, TEST_KEY, type ServerProcess } from '../helpers';
import { createTestDatabase, postgresServerUrl, type TestDatabase } from './pg-database';

/**
 * Contract §9: three gateway processes on one PostgreSQL database, each on its own port, started at
 * the same moment (so they also race to migrate). Concurrent requests are spread across them, and
 * every race has exactly one winner, checked in the database itself.
 */
const serverUrl = postgresServerUrl();
const APP_SECRET = 'multi-instance-app-secret';
const LEGACY_PER_MINUTE = 40;

let db: TestDatabase;
let servers: ServerProcess[] = [];
let env: NodeJS.ProcessEnv;
let token: string;
let orgId: string;
let userId: string;

const base = (i: number) => `http://127.0.0.1:${servers[i % servers.length]!.port}`;

async function cli(args: string[]) {
  const run = await runCli([...args, '--json'], env);
  if (run.code !== 0) throw new Error(`gateway ${args.join(' ')} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

async function newKeyWithId(): Promise<{ id: string; token: string }> {
  const scopes = 'agents:read,agents:write,agents:delete,phone_numbers:read,phone_numbers:write,phone_numbers:delete,conversations:read,org:read';
  const key = await cli(['keys', 'create', '--org', orgId, '--scopes', scopes]);
  return { id: key.id as string, token: key.token as string };
}
const newKey = async () => (await newKeyWithId()).token;

let metaIds = 0;
async function addNumber(i = 0): Promise<{ id: string; metaId: string }> {
  const metaId = `4155${String(Date.now() % 1e8).padStart(8, '0')}${++metaIds}`;
  const res = await fetch(`${base(i)}/v1/users/${userId}/phone_numbers`, {
    method: 'POST',
    headers: { 'x-api-key': token, 'content-type': 'application/json' },
    body: JSON.stringify({ platform: 'whatsapp', meta_phone_number_id: metaId, access_token: 'EAAG-multi-instance-token' }),
  });
  expect(res.status).toBe(201);
  return { id: ((await res.json()) as { id: string }).id, metaId };
}

const orgPost = (i: number, path: string, body: unknown, headers: Record<string, string> = {}, key = token) =>
  fetch(`${base(i)}/api/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  db = await createTestDatabase(serverUrl, 'multi');
  env = childEnv({
    DATABASE_URL: db.url,
    GATEWAY_ENCRYPTION_KEY: TEST_KEY,
    META_APP_SECRET: APP_SECRET,
    META_VERIFY_TOKEN: 'multi-verify',
    LOG_LEVEL: 'info',
    DATABASE_POOL_SIZE: '5',
    RATE_LIMIT_LEGACY_PER_MINUTE: String(LEGACY_PER_MINUTE),
    RATE_LIMIT_LEGACY_PER_HOUR: '100000',
    RATE_LIMIT_ORG_PER_MINUTE: '100000',
    RATE_LIMIT_ORG_PER_HOUR: '100000',
    API_KEY_CACHE_TTL_MS: '1000',
  });
  // Three at once on an empty database: one migrates, the others wait for it.
  servers = await Promise.all([startServer(env), startServer(env), startServer(env)]);
  orgId = (await cli(['orgs', 'create', '--name', 'Multi', '--plan', 'enterprise'])).id as string;
  userId = (await cli(['users', 'create', '--org', orgId, '--name', 'Owner'])).id as string;
  token = await newKey();
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map(async (s) => {
    s.child.kill('SIGTERM');
    await s.exited;
  }));
  await db?.drop();
}, 60_000);

describe('three instances on one PostgreSQL database', () => {
  it('migrated once although all three started at the same moment', async () => {
    const applied = await db.query<{ hash: string; n: string }>('SELECT hash, count(*) AS n FROM drizzle.__drizzle_migrations GROUP BY hash');
    expect(applied.length).toBeGreaterThan(0);
    expect(applied.every((row) => Number(row.n) === 1)).toBe(true);
    for (let i = 0; i < 3; i++) expect((await fetch(`${base(i)}/readyz`)).status).toBe(200);
  });

  it('R1: 30 creates racing for one number across the instances: one 201, 29 × 409, one active agent in the database', async () => {
    const number = await addNumber();
    // A key of its own, so the legacy per-minute limit of this suite is not in the way.
    const keys = await Promise.all([newKey(), newKey()]);
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fetch(`${base(i)}/v1/users/${userId}/agents`, {
          method: 'POST',
          headers: { 'x-api-key': keys[i % 2]!, 'content-type': 'application/json' },
          body: JSON.stringify({ phone_number_id: number.id, prompt_id: 'prompt_support_v1', name: `Racer ${i}` }),
        }),
      ),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(29);
    const rows = await db.query('SELECT id FROM agents WHERE phone_number_id = $1 AND is_active AND deleted_at IS NULL', [number.id]);
    expect(rows).toHaveLength(1);
  });

  it('R4: handles differing only in case, created at once on all three: one wins', async () => {
    const handles = ['Concierge', 'CONCIERGE', 'concierge', 'ConCierge', 'cONCIERGE', 'concierGE'];
    const replies = await Promise.all(handles.map((handle, i) => orgPost(i, '/agents', { handle, name: 'Concierge', instructions: 'Greet guests.' })));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    for (const r of replies.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(409);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('agent_handle_taken');
    }
    const rows = await db.query("SELECT id FROM agents WHERE org_id = $1 AND lower(handle) = 'concierge' AND deleted_at IS NULL", [orgId]);
    expect(rows).toHaveLength(1);
  });

  it('one Idempotency-Key sent to all three at once creates one agent; every 2xx is the same answer', async () => {
    const body = { handle: 'onceOnly', name: 'Once only', instructions: 'Answer once.' };
    const replies = await Promise.all(Array.from({ length: 9 }, (_, i) => orgPost(i, '/agents', body, { 'Idempotency-Key': 'multi-instance-once' })));
    const texts: string[] = [];
    for (const r of replies) {
      if (r.status === 201) texts.push(await r.text());
      else {
        expect(r.status).toBe(409);
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_in_use');
      }
    }
    expect(texts.length).toBeGreaterThanOrEqual(1);
    expect(new Set(texts.map((t) => (JSON.parse(t) as { data: { id: string } }).data.id)).size).toBe(1);
    const rows = await db.query("SELECT id FROM agents WHERE org_id = $1 AND lower(handle) = 'onceonly'", [orgId]);
    expect(rows).toHaveLength(1);
    const replay = await orgPost(0, '/agents', body, { 'Idempotency-Key': 'multi-instance-once' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('R2: a takeover racing inbound messages on all three leaves no active conversation with the old agent', async () => {
    const number = await addNumber();
    const old = await orgPost(0, '/agents', { handle: 'oldDesk', name: 'Old desk', instructions: 'Help.', phone_number_id: number.id });
    expect(old.status).toBe(201);
    const oldId = ((await old.json()) as { data: { id: string } }).data.id;
    const deliveries = Array.from({ length: 24 }, (_, i) => {
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ id: 'waba', changes: [{ field: 'messages', value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550000000', phone_number_id: number.metaId },
          contacts: [{ wa_id: `1555000${i % 4}`, profile: { name: 'Customer' } }],
          messages: [{ from: `1555000${i % 4}`, id: `wamid.multi.${number.metaId}.${i}`, timestamp: '1760000000', type: 'text', text: { body: `message ${i}` } }],
        } }] }],
      });
      const signature = `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;
      return () => fetch(`${base(i)}/webhooks/meta`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });
    });
    // Deactivate the old agent and put a new one on the number while messages keep arriving.
    const takeover = async () => {
      const patch = await fetch(`${base(1)}/api/v1/agents/${oldId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ is_active: false }),
      });
      expect(patch.status).toBe(200);
      const created = await orgPost(2, '/agents', { handle: 'newDesk', name: 'New desk', instructions: 'Help.', phone_number_id: number.id });
      expect(created.status).toBe(201);
      return ((await created.json()) as { data: { id: string } }).data.id;
    };
    const [newId, ...answers] = await Promise.all([takeover(), ...deliveries.map((d) => d())]);
    for (const a of answers) expect((a as Response).status).toBe(200);

    const stale = await db.query(
      "SELECT id FROM conversations WHERE phone_number_id = $1 AND status = 'active' AND (agent_id IS NULL OR agent_id <> $2)",
      [number.id, newId],
    );
    expect(stale).toEqual([]);
    const messages = await db.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE phone_number_id = $1', [number.id]);
    expect(Number(messages[0]!.n)).toBe(24);
    // Every conversation's count matches its messages, and seq runs 1..n without a gap or a repeat.
    const counts = await db.query<{ id: string; message_count: number; n: string; max: number }>(
      `SELECT c.id, c.message_count, count(m.id) AS n, max(m.seq) AS max FROM conversations c
       LEFT JOIN messages m ON m.conversation_id = c.id WHERE c.phone_number_id = $1 GROUP BY c.id, c.message_count`,
      [number.id],
    );
    for (const c of counts) expect([Number(c.message_count), Number(c.max)]).toEqual([Number(c.n), Number(c.n)]);
    expect(oldId).not.toBe(newId);
  });

  it('a rate limit holds in total across the instances', async () => {
    const key = await newKey();
    const replies = await Promise.all(
      Array.from({ length: LEGACY_PER_MINUTE + 15 }, (_, i) => fetch(`${base(i)}/v1/users/${userId}/agents`, { headers: { 'x-api-key': key } })),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LEGACY_PER_MINUTE);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });

  it('a key revoked through the CLI stops working on all three within API_KEY_CACHE_TTL_MS', async () => {
    const { id, token: key } = await newKeyWithId();
    for (let i = 0; i < 3; i++) expect((await fetch(`${base(i)}/api/v1/org`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    await cli(['keys', 'revoke', id]);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    for (let i = 0; i < 3; i++) expect((await fetch(`${base(i)}/api/v1/org`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
  });
});
