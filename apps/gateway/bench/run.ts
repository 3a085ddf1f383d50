/**
 * `pnpm bench`: the gateway against same-run baselines, driven by autocannon.
 *
 * Three setups of the gateway (its bundle, as `pnpm start` runs it), each given the same data
 * straight through the core and storage: SQLite in a temporary folder (one process), a fresh
 * PostgreSQL database (one process), and the same database behind three processes with the load
 * spread across them. Rate limits are raised
 * high but still enforced. Two baselines answer the same requests: a Hono echo on the gateway's
 * adapter and a bare `node:http` one. Each baseline is measured once per workload, before the first
 * gateway starts. `BENCH_SCENARIOS` picks a subset (see `selected`). Prints a table and writes
 * bench/results/latest.json (a subset's results: gateway-bench-subset.json in the temporary folder).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { createCore, DEFAULT_PLAN_LIMITS, SCOPES, type Agent, type Repositories } from '@gateway/core';
import { aesGcmCipher, generateKeyHex, htmlSanitizer, randomIds, sha256Hasher, systemClock } from '@gateway/platform';
import { openPostgresStorage, openSqliteStorage, type PostgresStorage, type Storage } from '@gateway/storage';
// A free port from the kernel each: a fixed range could fall among the ephemeral ports that
// autocannon's and the database's connections take, and collide.
import { freePort } from '../test/helpers';

const here = dirname(fileURLToPath(import.meta.url));
const gatewayRoot = join(here, '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
/** Seconds of unmeasured load per workload on freshly started gateways (each process warms up on its own). */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
/** Connections per run; spread over several instances it is rounded up to a multiple of them. */
const CONNECTIONS = 50;
const LARGE = Number(process.env.BENCH_LARGE ?? 100_000);
const SMALL = 1000;
/**
 * Free numbers for legacy creates, one each: more than a run of them takes (8,500 creates a second
 * for 9 s has been seen). Once they run out, creates answer 409 and the bench says so.
 */
const NUMBERS = Number(process.env.BENCH_NUMBERS ?? 150_000);
/** The server the bench creates its database on (and drops it from); any database of it will do. */
const POSTGRES_SERVER = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/**
 * The Node flags of `pnpm start`, read from apps/gateway/package.json so the bench measures what
 * runs; `BENCH_START_FLAGS` (space-separated) tries others.
 */
const START_FLAGS = (process.env.BENCH_START_FLAGS ?? startScriptFlags()).split(' ').filter((f) => f !== '');

function startScriptFlags(): string {
  const start = (JSON.parse(readFileSync(join(gatewayRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const match = /exec node ((?:--\S+ )*)dist\/main\.mjs/.exec(start);
  if (match === null) throw new Error(`apps/gateway/package.json: no flags found in its start script (${start})`);
  return (match[1] as string).trim();
}
/** Rows per seeding transaction, and how many of those transactions run at once. */
const SEED_CHUNK = 5000;
const SEED_WRITERS = 4;

interface Measure {
  requestsPerSecond: number;
  /** CPU time the gateway processes spent per answered request, in µs (user + system, all threads). */
  cpuMicrosPerRequest?: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Requests answered in the run. */
  requests: number;
}

type SetupName = 'sqlite' | 'postgres' | 'postgres-3';
interface Setup {
  name: SetupName;
  database: 'sqlite' | 'postgres';
  instances: number;
}
const SETUPS: Setup[] = [
  { name: 'sqlite', database: 'sqlite', instances: 1 },
  { name: 'postgres', database: 'postgres', instances: 1 },
  { name: 'postgres-3', database: 'postgres', instances: 3 },
];

/** What one database holds for the scenarios (ids, tokens, numbers still free). */
interface World {
  token: string;
  smallToken: string;
  userId: string;
  freeNumbers: string[];
  legacyAgentId: string;
  orgAgentId: string;
  /** The next free number a legacy create takes. */
  nextNumber: number;
}

interface Workload {
  name: string;
  label: string;
  /** The gateway's requests, spread across the instances' base URLs. */
  gateway(bases: string[], world: World): autocannon.Options;
  /** The same requests' shape for a baseline. */
  baseline(base: string, world: World): autocannon.Options;
}

interface ScenarioResult {
  scenario: string;
  label: string;
  database: Setup['database'];
  instances: number;
  connections: number;
  gateway: Measure;
  /** The Hono echo (`baseline.ts`). */
  baseline: Measure;
  /** Bare `node:http` (`baseline-node.ts`). */
  nodeBaseline: Measure;
  /** Gateway ÷ Hono echo requests per second. */
  ratio: number;
  /** Gateway ÷ `node:http` requests per second. */
  nodeRatio: number;
}

/**
 * autocannon takes several URLs and deals its connections out over them in turn (connection i goes
 * to URL i mod n); its type declarations admit one.
 */
const several = (urls: string[]): string => (urls.length === 1 ? (urls[0] as string) : (urls as unknown as string));

let nextHandle = 0;
const legacyHeaders = (w: World) => ({ 'x-api-key': w.token, 'content-type': 'application/json' });
const orgHeaders = (w: World) => ({ authorization: `Bearer ${w.token}`, 'content-type': 'application/json' });

const WORKLOADS: Workload[] = [
  {
    name: 'legacy-create',
    label: 'legacy create',
    gateway: (bases, w) => ({
      url: several(bases),
      requests: [
        {
          method: 'POST',
          path: `/v1/users/${w.userId}/agents`,
          headers: legacyHeaders(w),
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({ phone_number_id: w.freeNumbers[w.nextNumber++ % w.freeNumbers.length], prompt_id: 'pmpt_bench', name: `Bench ${w.nextNumber}x` }),
          }),
        },
      ],
    }),
    baseline: (b, w) => ({ url: b, method: 'POST', headers: legacyHeaders(w), body: JSON.stringify({ phone_number_id: 'pn_x', prompt_id: 'pmpt_bench', name: 'Bench' }) }),
  },
  {
    name: 'legacy-get',
    label: 'legacy get',
    gateway: (bases, w) => ({ url: several(bases.map((g) => `${g}/v1/users/${w.userId}/agents/${w.legacyAgentId}`)), headers: legacyHeaders(w) }),
    baseline: (b, w) => ({ url: `${b}/v1/users/${w.userId}/agents/${w.legacyAgentId}`, headers: legacyHeaders(w) }),
  },
  {
    name: 'org-create',
    label: 'org create',
    gateway: (bases, w) => ({
      url: several(bases),
      requests: [
        {
          method: 'POST',
          path: '/api/v1/agents',
          headers: orgHeaders(w),
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({
              handle: `wismo${nextHandle++}x${process.pid}`,
              name: 'WISMO',
              instructions: 'Answer Where Is My Order questions using the Shopify order tool.',
              model: 'gpt-5',
              tools: [
                { name: 'shopify_get_order', connector_id: 'connector_abc' },
                { name: 'zendesk_add_public_reply', connector_id: 'connector_def' },
              ],
            }),
          }),
        },
      ],
    }),
    baseline: (b, w) => ({ url: b, method: 'POST', headers: orgHeaders(w), body: JSON.stringify({ handle: 'wismo', name: 'WISMO', instructions: 'x' }) }),
  },
  {
    name: 'org-get',
    label: 'org get',
    gateway: (bases, w) => ({ url: several(bases.map((g) => `${g}/api/v1/agents/${w.orgAgentId}`)), headers: orgHeaders(w) }),
    baseline: (b, w) => ({ url: `${b}/api/v1/agents/${w.orgAgentId}`, headers: orgHeaders(w) }),
  },
  {
    name: 'org-list-small',
    label: `org list (${SMALL.toLocaleString('en')} agents)`,
    gateway: (bases, w) => ({ url: several(bases.map((g) => `${g}/api/v1/agents?limit=25`)), headers: { authorization: `Bearer ${w.smallToken}` } }),
    baseline: (b, w) => ({ url: `${b}/api/v1/agents?limit=25`, headers: orgHeaders(w) }),
  },
  {
    name: 'org-list-large',
    label: `org list (${LARGE.toLocaleString('en')} agents)`,
    gateway: (bases, w) => ({ url: several(bases.map((g) => `${g}/api/v1/agents?limit=25`)), headers: orgHeaders(w) }),
    baseline: (b, w) => ({ url: `${b}/api/v1/agents?limit=25`, headers: orgHeaders(w) }),
  },
];

/** Every scenario the bench knows: `<setup>/<workload>`, in the order they run. */
const ALL_SCENARIOS = SETUPS.flatMap((s) => WORKLOADS.map((w) => ({ setup: s, workload: w, id: `${s.name}/${w.name}` })));

/**
 * `BENCH_SCENARIOS`: comma-separated terms; a term picks the scenarios whose id starts with it
 * (`postgres` picks both PostgreSQL setups, `postgres-3/org-get` one scenario) or whose workload
 * does (`org-list` picks both lists on every setup). Unset or empty: all of them.
 */
function selected(spec: string | undefined) {
  const terms = (spec ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (terms.length === 0) return ALL_SCENARIOS;
  const matches = (term: string, s: (typeof ALL_SCENARIOS)[number]) => s.id.startsWith(term) || s.workload.name.startsWith(term);
  const unknown = terms.filter((t) => !ALL_SCENARIOS.some((s) => matches(t, s)));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: no scenario matches ${unknown.join(', ')}; the scenarios are ${ALL_SCENARIOS.map((s) => s.id).join(', ')}`);
  return ALL_SCENARIOS.filter((s) => terms.some((t) => matches(t, s)));
}

/** Undone on the way out, also on Ctrl-C: child processes, the temporary folder, the database. */
const cleanups: (() => Promise<void> | void)[] = [];
async function cleanUp() {
  while (cleanups.length > 0) await cleanups.pop()!();
}

async function main() {
  const scenarios = selected(process.env.BENCH_SCENARIOS);
  // What `pnpm start` builds and runs, from the sources as they are now.
  execFileSync(process.execPath, [join(gatewayRoot, 'scripts/build.mjs')], { stdio: 'inherit' });
  const startedAt = Date.now();
  const loadBefore = loadavg().map(round);
  const keyHex = generateKeyHex();
  const results: ScenarioResult[] = [];
  const peakRssMb: Partial<Record<SetupName, (number | null)[]>> = {};
  const baselines = new Map<string, { hono: Measure; node: Measure }>();
  const worlds = new Map<Setup['database'], { world: World; url: string }>();

  const [honoPort, nodePort] = [await freePort(), await freePort()];
  const hono = await start('baseline', ['--import', 'tsx', join(here, 'baseline.ts')], { PORT: String(honoPort) }, honoPort);
  const node = await start('node baseline', ['--import', 'tsx', join(here, 'baseline-node.ts')], { PORT: String(nodePort) }, nodePort);
  cleanups.push(() => stop([hono, node]));

  try {
    for (const setup of SETUPS) {
      const mine = scenarios.filter((s) => s.setup === setup);
      if (mine.length === 0) continue;
      let prepared = worlds.get(setup.database);
      if (!prepared) {
        prepared = await prepareDatabase(setup.database, keyHex);
        worlds.set(setup.database, prepared);
      }
      const { world, url } = prepared;

      // Both baselines, once per workload, before the first gateway process starts.
      if (baselines.size === 0) {
        for (const workload of new Set(scenarios.map((s) => s.workload))) {
          const measured = async (child: ChildProcess, base: string) => {
            const before = cpuMicros(child.pid);
            const run = await drive({ ...workload.baseline(base, world), connections: CONNECTIONS, duration: DURATION });
            run.cpuMicrosPerRequest = Math.round((cpuMicros(child.pid) - before) / Math.max(1, run.requests));
            return run;
          };
          const honoRun = await measured(hono, `http://127.0.0.1:${honoPort}`);
          const nodeRun = await measured(node, `http://127.0.0.1:${nodePort}`);
          baselines.set(workload.name, { hono: honoRun, node: nodeRun });
          process.stdout.write(`baselines ${workload.label}: Hono ${honoRun.requestsPerSecond} req/s (${honoRun.cpuMicrosPerRequest} µs CPU each), node:http ${nodeRun.requestsPerSecond} req/s (${nodeRun.cpuMicrosPerRequest} µs)\n`);
        }
        await stop([hono, node]);
      }

      const ports: number[] = [];
      for (let i = 0; i < setup.instances; i++) ports.push(await freePort());
      const starting = await Promise.allSettled(ports.map((p, i) => startGateway(`${setup.name} gateway ${i + 1}`, p, url, keyHex)));
      const gateways = starting.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      if (gateways.length < ports.length) {
        await stop(gateways);
        throw (starting.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
      }
      const stopGateways = () => stop(gateways);
      cleanups.push(stopGateways);
      const bases = ports.map((p) => `http://127.0.0.1:${p}`);
      const connections = Math.ceil(CONNECTIONS / setup.instances) * setup.instances;
      if (WARMUP > 0) for (const { workload } of mine) await drive({ ...workload.gateway(bases, world), connections, duration: WARMUP });
      for (const { workload, id } of mine) {
        const cpuBefore = gateways.map((g) => cpuMicros(g.pid));
        const gate = await drive({ ...workload.gateway(bases, world), connections, duration: DURATION });
        const cpuSpent = gateways.reduce((sum, g, i) => sum + cpuMicros(g.pid) - (cpuBefore[i] as number), 0);
        gate.cpuMicrosPerRequest = Math.round(cpuSpent / Math.max(1, gate.requests));
        const base = baselines.get(workload.name)!;
        results.push({
          scenario: id,
          label: workload.label,
          database: setup.database,
          instances: setup.instances,
          connections,
          gateway: gate,
          baseline: base.hono,
          nodeBaseline: base.node,
          ratio: round(gate.requestsPerSecond / base.hono.requestsPerSecond),
          nodeRatio: round(gate.requestsPerSecond / base.node.requestsPerSecond),
        });
        process.stdout.write(`${id}: ${gate.requestsPerSecond} req/s, ${gate.cpuMicrosPerRequest} µs CPU each, p50 ${gate.p50} ms, p99 ${gate.p99} ms, non-2xx+errors ${gate.non2xx + gate.errors}\n`);
      }
      peakRssMb[setup.name] = gateways.map((g) => (g.pid ? peakRss(g.pid) : null));
      cleanups.splice(cleanups.indexOf(stopGateways), 1);
      await stopGateways();
    }
  } finally {
    await cleanUp();
  }
  report({ results, peakRssMb, loadBefore, seconds: Math.round((Date.now() - startedAt) / 1000) });
}

/** A fresh database of the kind given, with the bench's data in it; undone by `cleanUp`. */
async function prepareDatabase(kind: Setup['database'], keyHex: string): Promise<{ world: World; url: string }> {
  const began = Date.now();
  const cipher = aesGcmCipher(keyHex);
  let url: string;
  let storage: Storage;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    url = join(dir, 'bench.db');
    storage = openSqliteStorage({ file: url, cipher });
  } else {
    url = await createPostgresDatabase();
    storage = await openPostgresStorage({ url, cipher });
  }
  try {
    const world = await provision(storage);
    // What autovacuum would do with the rows just written, given time (it may be off on a development
    // server): planner statistics and the visibility map. Without statistics PostgreSQL guesses, and
    // an org get took the org's handle index and read 100,000 rows (~200 ms) instead of the key.
    if (storage.kind === 'postgres') await (storage as PostgresStorage).pool.query('VACUUM ANALYZE');
    process.stdout.write(`${kind}: data written in ${Math.round((Date.now() - began) / 1000)} s\n`);
    return { world, url };
  } finally {
    await storage.close();
  }
}

/** `gw_bench_<random>` on `POSTGRES_SERVER`, dropped (connections and all) on the way out. */
async function createPostgresDatabase(): Promise<string> {
  const name = `gw_bench_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_SERVER });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  cleanups.push(() => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  const url = new URL(POSTGRES_SERVER);
  url.pathname = `/${name}`;
  return url.href;
}

/** An org of the enterprise plan with a user, numbers and agents, written straight through the core. */
async function provision(storage: Storage): Promise<World> {
  const uow = storage.uow;
  const core = createCore({ clock: systemClock, ids: randomIds, hasher: sha256Hasher, html: htmlSanitizer, planLimits: DEFAULT_PLAN_LIMITS });
  const org = await core.createOrg({ uow, input: { name: 'Bench Org', plan: 'enterprise' } });
  const user = await core.createUser({ uow, input: { orgId: org.id, name: 'Bench User' } });
  const { token } = await core.createApiKey({ uow, input: { orgId: org.id, userId: user.id, scopes: [...SCOPES] } });
  const small = await core.createOrg({ uow, input: { name: 'Small Org', plan: 'enterprise' } });
  const { token: smallToken } = await core.createApiKey({ uow, input: { orgId: small.id, scopes: [...SCOPES] } });

  const now = systemClock.now();
  const freeNumbers = Array.from({ length: NUMBERS }, () => randomIds.next('pn'));
  const agent = (orgId: string, i: number, at: number): Agent => ({
    id: randomIds.next('agent'), orgId, userId: null, handle: `bench${i}`, name: `Bench ${i}`, description: null,
    instructions: 'Answer questions.', instructionsHtml: null, promptId: null, phoneNumberId: null, model: null, color: '#6366f1',
    avatar: null, includeSystemPrompt: true, tools: [{ name: 'shopify_get_order', connectorId: 'connector_abc' }], connectors: ['connector_abc'],
    subAgents: [], dataSources: [], isActive: true, deactivatedReason: null, deactivatedAt: null, createdAt: at, updatedAt: at, deletedAt: null,
  });
  // Rows in chunks of their own transactions, a few at once: PostgreSQL answers one statement at a
  // time per connection, so one long transaction would leave both sides waiting on each other.
  // (SQLite's single writer takes them one after the other.)
  const chunks: ((repos: Repositories) => Promise<void>)[] = [];
  for (let from = 0; from < NUMBERS; from += SEED_CHUNK) {
    chunks.push(async (repos) => {
      for (let i = from; i < Math.min(from + SEED_CHUNK, NUMBERS); i++) {
        await repos.phoneNumbers.insert({
          id: freeNumbers[i] as string, orgId: org.id, userId: user.id, platform: 'whatsapp', metaPhoneNumberId: String(10_000_000_000 + i),
          displayName: null, wabaId: null, createdAt: now, updatedAt: now, deletedAt: null, accessToken: 'EAAG-bench-token',
        });
      }
    });
  }
  for (const [orgId, count] of [[org.id, LARGE], [small.id, SMALL]] as const) {
    for (let from = 0; from < count; from += SEED_CHUNK) {
      chunks.push(async (repos) => {
        for (let i = from; i < Math.min(from + SEED_CHUNK, count); i++) await repos.agents.insert(agent(orgId, i, now - count + i));
      });
    }
  }
  let next = 0;
  const writer = async () => {
    while (next < chunks.length) await uow.write(chunks[next++] as (repos: Repositories) => Promise<void>);
  };
  await Promise.all(Array.from({ length: SEED_WRITERS }, writer));
  const legacyNumber = freeNumbers.pop() as string;
  const legacyAgent = await core.createAgent({
    ctx: { actor: core.actorFor((await core.authenticate({ uow, token }))!, user.id), uow },
    input: { name: 'Legacy Bench', promptId: 'pmpt_bench', phoneNumberId: legacyNumber },
  });
  return { token, smallToken, userId: user.id, freeNumbers, legacyAgentId: legacyAgent.id, orgAgentId: legacyAgent.id, nextNumber: 0 };
}

/** The server's bundle as `pnpm start` runs it, on the database given, rate limits high but enforced. */
function startGateway(name: string, port: number, databaseUrl: string, keyHex: string): Promise<ChildProcess> {
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  return start(name, [...profile, ...START_FLAGS, join(gatewayRoot, 'dist/main.mjs')], {
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    GATEWAY_ENCRYPTION_KEY: keyHex,
    LOG_LEVEL: 'info',
    RATE_LIMIT_LEGACY_PER_MINUTE: '10000000',
    RATE_LIMIT_LEGACY_PER_HOUR: '100000000',
    RATE_LIMIT_ORG_PER_MINUTE: '10000000',
    RATE_LIMIT_ORG_PER_HOUR: '100000000',
  }, port);
}

function start(name: string, args: string[], env: Record<string, string>, port: number): Promise<ChildProcess> {
  // The request log stays on (one JSON line per request, as in production) and goes to /dev/null.
  const child = spawn(process.execPath, args, { cwd: gatewayRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const poll = async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        await res.arrayBuffer();
        resolve(child);
      } catch {
        if (Date.now() > deadline || child.exitCode !== null) {
          child.kill('SIGTERM');
          reject(new Error(`${name} did not start`));
        } else setTimeout(poll, 200);
      }
    };
    void poll();
  });
}

async function stop(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      return gone;
    }),
  );
}

async function drive(options: autocannon.Options): Promise<Measure> {
  const result = await autocannon(options);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    requests: result.requests.total,
  };
}

/** CLK_TCK on Linux: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** User plus system CPU time of a process so far (all its threads), in µs, from /proc/<pid>/stat. */
function cpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // The fields after the command name (which may hold spaces) start at its closing parenthesis.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
  } catch {
    return 0;
  }
}

/** Peak resident set (VmHWM) of a process, in MB. */
function peakRss(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

function report(run: { results: ScenarioResult[]; peakRssMb: Partial<Record<SetupName, (number | null)[]>>; loadBefore: number[]; seconds: number }) {
  const { results, peakRssMb, loadBefore, seconds } = run;
  const rows = results.map((r) => [
    r.scenario, r.gateway.requestsPerSecond, r.baseline.requestsPerSecond, r.ratio, r.nodeBaseline.requestsPerSecond, r.nodeRatio,
    r.gateway.p50, r.gateway.p99, r.gateway.cpuMicrosPerRequest ?? '', r.gateway.non2xx + r.gateway.errors,
  ]);
  const header = ['scenario', 'req/s', 'Hono req/s', 'ratio', 'node:http req/s', 'ratio', 'p50 ms', 'p99 ms', 'CPU µs/req', 'non-2xx+errors'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => `| ${cells.map((c, i) => String(c).padEnd(widths[i] as number)).join(' | ')} |`;
  const failing = results.filter((r) => r.gateway.non2xx + r.gateway.errors > 0);
  for (const r of failing) {
    process.stdout.write(`warning: ${r.scenario} had ${r.gateway.non2xx + r.gateway.errors} answers that were not 2xx or failed, so its numbers do not measure the scenario${r.scenario.endsWith('legacy-create') ? ' (out of free numbers? raise BENCH_NUMBERS)' : ''}\n`);
  }
  process.stdout.write(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`);
  const loadAfter = loadavg().map(round);
  for (const [setup, values] of Object.entries(peakRssMb)) process.stdout.write(`${setup} peak RSS: ${values.map((v) => v ?? 'unknown').join(', ')} MB\n`);
  process.stdout.write(`load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}; ${seconds} s in all\n`);
  const out = {
    date: new Date().toISOString(),
    durationSeconds: DURATION,
    connections: CONNECTIONS,
    totalSeconds: seconds,
    selection: process.env.BENCH_SCENARIOS?.trim() || 'all',
    loadAverage: { before: loadBefore, after: loadAfter },
    peakRssMb,
    scenarios: results,
  };
  // latest.json always holds a whole run; a subset's results go to the temporary folder.
  const file = out.selection === 'all' ? join(here, 'results', 'latest.json') : join(tmpdir(), 'gateway-bench-subset.json');
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`results written to ${file}\n`);
}

process.once('SIGINT', () => {
  process.stderr.write('bench interrupted: cleaning up\n');
  void cleanUp().finally(() => process.exit(130));
});

main().catch(async (error: unknown) => {
  await cleanUp().catch(() => {});
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
