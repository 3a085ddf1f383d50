/**
 * `pnpm bench`: the gateway against a same-run baseline, driven by autocannon.
 *
 * Starts the gateway on SQLite in a temporary folder (rate limits raised high but still enforced)
 * and the baseline echo server, provisions an org, numbers and agents straight through the core,
 * then runs each scenario on the baseline and on the gateway in turn. Prints a table and writes
 * bench/results/latest.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createCore, DEFAULT_PLAN_LIMITS, SCOPES, type Agent } from '@gateway/core';
import { aesGcmCipher, generateKeyHex, htmlSanitizer, randomIds, sha256Hasher, systemClock } from '@gateway/platform';
import { openSqliteStorage } from '@gateway/storage';

const here = dirname(fileURLToPath(import.meta.url));
const gatewayRoot = join(here, '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = 50;
const LARGE = Number(process.env.BENCH_LARGE ?? 100_000);
/** The Node flags of `pnpm start` (apps/gateway/package.json), so the bench measures what runs. */
const START_FLAGS = ['--max-semi-space-size=2'];

interface Measure {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

interface ScenarioResult {
  scenario: string;
  gateway: Measure;
  baseline: Measure;
  ratio: number;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
  const dbFile = join(dir, 'bench.db');
  const keyHex = generateKeyHex();
  const world = await provision(dbFile, keyHex);

  const gatewayPort = 38000 + Math.floor(Math.random() * 1000);
  const baselinePort = gatewayPort + 1000;
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const gateway = await start('gateway', [...profile, ...START_FLAGS, '--import', 'tsx', join(gatewayRoot, 'src/main.ts')], {
    PORT: String(gatewayPort),
    DATABASE_URL: dbFile,
    GATEWAY_ENCRYPTION_KEY: keyHex,
    LOG_LEVEL: 'info',
    RATE_LIMIT_LEGACY_PER_MINUTE: '10000000',
    RATE_LIMIT_LEGACY_PER_HOUR: '100000000',
    RATE_LIMIT_ORG_PER_MINUTE: '10000000',
    RATE_LIMIT_ORG_PER_HOUR: '100000000',
  }, gatewayPort);
  const baseline = await start('baseline', ['--import', 'tsx', join(here, 'baseline.ts')], { PORT: String(baselinePort) }, baselinePort);

  const results: ScenarioResult[] = [];
  try {
    const g = `http://127.0.0.1:${gatewayPort}`;
    const b = `http://127.0.0.1:${baselinePort}`;
    const legacyHeaders = { 'x-api-key': world.token, 'content-type': 'application/json' };
    const orgHeaders = { authorization: `Bearer ${world.token}`, 'content-type': 'application/json' };
    let nextNumber = 0;
    let nextHandle = 0;

    const scenarios: { name: string; gateway: autocannon.Options; baseline: autocannon.Options; before?: () => Promise<void> }[] = [
      {
        name: 'legacy create',
        gateway: {
          url: g,
          requests: [
            {
              method: 'POST',
              path: `/v1/users/${world.userId}/agents`,
              headers: legacyHeaders,
              setupRequest: (req) => ({
                ...req,
                body: JSON.stringify({ phone_number_id: world.freeNumbers[nextNumber++ % world.freeNumbers.length], prompt_id: 'pmpt_bench', name: `Bench ${nextNumber}x` }),
              }),
            },
          ],
        },
        baseline: { url: b, method: 'POST', headers: legacyHeaders, body: JSON.stringify({ phone_number_id: 'pn_x', prompt_id: 'pmpt_bench', name: 'Bench' }) },
      },
      {
        name: 'legacy get',
        gateway: { url: `${g}/v1/users/${world.userId}/agents/${world.legacyAgentId}`, headers: legacyHeaders },
        baseline: { url: `${b}/v1/users/${world.userId}/agents/${world.legacyAgentId}`, headers: legacyHeaders },
      },
      {
        name: 'org create',
        gateway: {
          url: g,
          requests: [
            {
              method: 'POST',
              path: '/api/v1/agents',
              headers: orgHeaders,
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
        },
        baseline: { url: b, method: 'POST', headers: orgHeaders, body: JSON.stringify({ handle: 'wismo', name: 'WISMO', instructions: 'x' }) },
      },
      {
        name: 'org get',
        gateway: { url: `${g}/api/v1/agents/${world.orgAgentId}`, headers: orgHeaders },
        baseline: { url: `${b}/api/v1/agents/${world.orgAgentId}`, headers: orgHeaders },
      },
      {
        name: 'org list (1,000 agents)',
        gateway: { url: `${g}/api/v1/agents?limit=25`, headers: { authorization: `Bearer ${world.smallToken}` } },
        baseline: { url: `${b}/api/v1/agents?limit=25`, headers: orgHeaders },
      },
      {
        name: `org list (${LARGE.toLocaleString('en')} agents)`,
        gateway: { url: `${g}/api/v1/agents?limit=25`, headers: orgHeaders },
        baseline: { url: `${b}/api/v1/agents?limit=25`, headers: orgHeaders },
      },
    ];

    const only = process.env.BENCH_ONLY;
    for (const scenario of scenarios.filter((s) => only === undefined || s.name.startsWith(only))) {
      const base = await drive({ ...scenario.baseline, connections: CONNECTIONS, duration: DURATION });
      const gate = await drive({ ...scenario.gateway, connections: CONNECTIONS, duration: DURATION });
      results.push({ scenario: scenario.name, gateway: gate, baseline: base, ratio: round(gate.requestsPerSecond / base.requestsPerSecond) });
      process.stdout.write(`${scenario.name}: ${gate.requestsPerSecond} req/s (baseline ${base.requestsPerSecond}), p50 ${gate.p50} ms, p99 ${gate.p99} ms\n`);
    }
  } finally {
    const peakRssMb = gateway.pid ? peakRss(gateway.pid) : null;
    gateway.kill('SIGTERM');
    baseline.kill('SIGTERM');
    await Promise.all([exited(gateway), exited(baseline)]);
    rmSync(dir, { recursive: true, force: true });
    report(results, peakRssMb);
  }
}

/** An org of the enterprise plan with a user, numbers and agents, written straight through the core. */
async function provision(file: string, keyHex: string) {
  const storage = openSqliteStorage({ file, cipher: aesGcmCipher(keyHex) });
  const uow = storage.uow;
  const core = createCore({ clock: systemClock, ids: randomIds, hasher: sha256Hasher, html: htmlSanitizer, planLimits: DEFAULT_PLAN_LIMITS });
  const org = await core.createOrg({ uow, input: { name: 'Bench Org', plan: 'enterprise' } });
  const user = await core.createUser({ uow, input: { orgId: org.id, name: 'Bench User' } });
  const { token } = await core.createApiKey({ uow, input: { orgId: org.id, userId: user.id, scopes: [...SCOPES] } });
  const small = await core.createOrg({ uow, input: { name: 'Small Org', plan: 'enterprise' } });
  const { token: smallToken } = await core.createApiKey({ uow, input: { orgId: small.id, scopes: [...SCOPES] } });

  const now = systemClock.now();
  const freeNumbers: string[] = [];
  const numberCount = Number(process.env.BENCH_NUMBERS ?? 60_000);
  await uow.write(async (repos) => {
    for (let i = 0; i < numberCount; i++) {
      const id = randomIds.next('pn');
      await repos.phoneNumbers.insert({
        id, orgId: org.id, userId: user.id, platform: 'whatsapp', metaPhoneNumberId: String(10_000_000_000 + i),
        displayName: null, wabaId: null, createdAt: now, updatedAt: now, deletedAt: null, accessToken: 'EAAG-bench-token',
      });
      freeNumbers.push(id);
    }
  });
  const agent = (orgId: string, i: number, at: number): Agent => ({
    id: randomIds.next('agent'), orgId, userId: null, handle: `bench${i}`, name: `Bench ${i}`, description: null,
    instructions: 'Answer questions.', instructionsHtml: null, promptId: null, phoneNumberId: null, model: null, color: '#6366f1',
    avatar: null, includeSystemPrompt: true, tools: [{ name: 'shopify_get_order', connectorId: 'connector_abc' }], connectors: ['connector_abc'],
    subAgents: [], dataSources: [], isActive: true, deactivatedReason: null, deactivatedAt: null, createdAt: at, updatedAt: at, deletedAt: null,
  });
  await uow.write(async (repos) => {
    for (let i = 0; i < LARGE; i++) await repos.agents.insert(agent(org.id, i, now - LARGE + i));
    for (let i = 0; i < 1000; i++) await repos.agents.insert(agent(small.id, i, now - 1000 + i));
  });
  const legacyNumber = freeNumbers.pop() as string;
  const legacyAgent = await core.createAgent({
    ctx: { actor: core.actorFor((await core.authenticate({ uow, token }))!, user.id), uow },
    input: { name: 'Legacy Bench', promptId: 'pmpt_bench', phoneNumberId: legacyNumber },
  });
  await storage.close();
  return { token, smallToken, userId: user.id, freeNumbers, legacyAgentId: legacyAgent.id, orgAgentId: legacyAgent.id };
}

function start(name: string, args: string[], env: Record<string, string>, port: number): Promise<ChildProcess> {
  // The request log stays on (one JSON line per request, as in production) and goes to /dev/null.
  const child = spawn(process.execPath, args, { cwd: gatewayRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const poll = async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        await res.arrayBuffer();
        resolve(child);
      } catch {
        if (Date.now() > deadline || child.exitCode !== null) reject(new Error(`${name} did not start`));
        else setTimeout(poll, 200);
      }
    };
    void poll();
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function drive(options: autocannon.Options): Promise<Measure> {
  const result = await autocannon(options);
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
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

function report(results: ScenarioResult[], peakRssMb: number | null) {
  const rows = results.map((r) => [r.scenario, r.gateway.requestsPerSecond, r.baseline.requestsPerSecond, r.ratio, r.gateway.p50, r.gateway.p99, r.gateway.non2xx + r.gateway.errors]);
  const header = ['scenario', 'req/s', 'baseline req/s', 'ratio', 'p50 ms', 'p99 ms', 'non-2xx+errors'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) => `| ${cells.map((c, i) => String(c).padEnd(widths[i] as number)).join(' | ')} |`;
  process.stdout.write(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(`gateway peak RSS: ${peakRssMb ?? 'unknown'} MB\n`);
  const out = { date: new Date().toISOString(), durationSeconds: DURATION, connections: CONNECTIONS, peakRssMb, scenarios: results };
  writeFileSync(join(here, 'results', 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
