import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, runCli, startServer, TEST_KEY, type ServerProcess } from '../helpers';
import { createTestDatabase, postgresServerUrl, type TestDatabase } from './pg-database';

/**
 * Contract §9: while PostgreSQL is unreachable, /readyz answers 503 within a second or two and
 * requests answer 503 in the dialect's shape, with Retry-After, within the statement timeout; when
 * it returns, the gateway serves again without a restart, and every acknowledged write is there.
 * The gateway reaches PostgreSQL through a TCP relay that the test cuts and restores: stopping the
 * shared server itself would take every other test file down with it.
 */
const serverUrl = postgresServerUrl();
const STATEMENT_TIMEOUT_MS = 1500;

/** A TCP relay to PostgreSQL that can drop every connection and refuse new ones, then come back. */
async function relay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  let frozen = false;
  const up = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        // Frozen: bytes are taken and dropped, as from a server that stopped answering.
        client.on('data', (chunk) => void (frozen ? undefined : upstream.write(chunk)));
        upstream.on('data', (chunk) => void (frozen ? undefined : client.write(chunk)));
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await up();
  return {
    get port() {
      return port;
    },
    /** Every open connection reset, new ones refused. */
    async cut() {
      await new Promise<void>((resolve) => {
        server!.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    restore: up,
    /** Connections stay open but nothing more gets through, either way (a hung server, a partition). */
    freeze: () => void (frozen = true),
    thaw: () => void (frozen = false),
  };
}

let db: TestDatabase;
let gateway: ServerProcess;
let link: Awaited<ReturnType<typeof relay>>;
let token: string;

beforeAll(async () => {
  db = await createTestDatabase(serverUrl, 'outage');
  const direct = new URL(db.url);
  link = await relay({ host: direct.hostname, port: Number(direct.port || 5432) });
  const viaRelay = new URL(db.url);
  viaRelay.port = String(link.port);
  const env = childEnv({
    DATABASE_URL: viaRelay.href,
    GATEWAY_ENCRYPTION_KEY: TEST_KEY,
    META_APP_SECRET: 'outage-secret',
    DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
    DATABASE_POOL_SIZE: '4',
    LOG_LEVEL: 'info',
  });
  gateway = await startServer(env);
  const cli = async (args: string[]) => JSON.parse((await runCli([...args, '--json'], childEnv({ DATABASE_URL: db.url, GATEWAY_ENCRYPTION_KEY: TEST_KEY }))).stdout) as Record<string, string>;
  const org = await cli(['orgs', 'create', '--name', 'Outage', '--plan', 'enterprise']);
  token = (await cli(['keys', 'create', '--org', org.id!, '--scopes', 'agents:read,agents:write'])).token!;
}, 120_000);

afterAll(async () => {
  if (gateway) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
  await db?.drop();
}, 60_000);

const base = () => `http://127.0.0.1:${gateway.port}`;
let created = 0;
const create = () =>
  fetch(`${base()}/api/v1/agents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ handle: `outage${++created}`, name: 'Outage', instructions: 'Help.' }),
    signal: AbortSignal.timeout(20_000),
  });

describe('PostgreSQL going away under load, and coming back', () => {
  it('answers 503 in the dialect shape within the statement timeout, /readyz 503 fast; serves again on return; keeps every acknowledged write', async () => {
    const acknowledged: string[] = [];
    const outcomes: number[] = [];
    let stop = false;
    const load = async () => {
      while (!stop) {
        const res = await create().catch(() => null);
        if (res === null) {
          outcomes.push(-1);
          continue;
        }
        outcomes.push(res.status);
        if (res.status === 201) acknowledged.push(((await res.json()) as { data: { id: string } }).data.id);
        else await res.arrayBuffer();
      }
    };
    const workers = Array.from({ length: 6 }, load);
    for (let i = 0; i < 80 && acknowledged.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(acknowledged.length).toBeGreaterThan(0);

    await link.cut();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const startedAt = Date.now();
    const ready = await fetch(`${base()}/readyz`);
    expect(ready.status).toBe(503);
    expect(Date.now() - startedAt).toBeLessThan(2500);

    const t0 = Date.now();
    const during = await create();
    const elapsed = Date.now() - t0;
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).not.toBeNull();
    expect(((await during.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
    expect(elapsed).toBeLessThan(STATEMENT_TIMEOUT_MS + 2500);
    const legacy = await fetch(`${base()}/v1/users/usr_000000000000000000000000/agents`, { headers: { 'x-api-key': token } });
    expect(legacy.status).toBe(503);
    expect(await legacy.json()).toMatchObject({ error: 'Service Unavailable' });

    await link.restore();
    // Back without a restart: readiness and writes return within a few seconds.
    let back = false;
    for (let i = 0; i < 40 && !back; i++) {
      back = (await fetch(`${base()}/readyz`)).status === 200;
      if (!back) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(back).toBe(true);
    // The load, still running, gets its creates through again (the pool reconnects on its own).
    const after = acknowledged.length;
    for (let i = 0; i < 80 && acknowledged.length <= after; i++) await new Promise((resolve) => setTimeout(resolve, 250));
    stop = true;
    await Promise.all(workers);
    expect(acknowledged.length).toBeGreaterThan(after);
    // Nothing answered other than 201 or 503, and the process never died.
    expect(outcomes.filter((s) => s !== 201 && s !== 503)).toEqual([]);
    expect(gateway.child.exitCode).toBeNull();

    const rows = await db.query<{ id: string }>('SELECT id FROM agents');
    const stored = new Set(rows.map((r) => r.id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  }, 90_000);

  it('a server that stops answering (connections open, nothing comes back) is a 503 within the statement timeout, not a hang', async () => {
    expect((await create()).status).toBe(201);
    link.freeze();
    try {
      const t0 = Date.now();
      const res = await create();
      expect(res.status).toBe(503);
      // The rate-limit counter and the write each wait out one read timeout (statement timeout + 0.5 s).
      expect(Date.now() - t0).toBeLessThan(2 * (STATEMENT_TIMEOUT_MS + 500) + 1000);
      const r0 = Date.now();
      expect((await fetch(`${base()}/readyz`)).status).toBe(503);
      expect(Date.now() - r0).toBeLessThan(2500);
    } finally {
      link.thaw();
    }
    let back = false;
    for (let i = 0; i < 60 && !back; i++) {
      const res = await create();
      back = res.status === 201;
      if (!back) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(back).toBe(true);
  }, 60_000);
});
