import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseStartArgs } from '../src/config';
import { openGatewayStorage } from '../src/storage';
import { childEnv, GATEWAY_DIR, startServer, tempDir, TEST_KEY, type ServerProcess } from './helpers';

/**
 * First run: `GATEWAY_DEMO=1` or `--demo` seeds the demo tenant into an empty database and prints
 * its token with curl commands that work as printed; never a second time, never unasked.
 */

const RULE = '='.repeat(78);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(env: NodeJS.ProcessEnv, args: string[] = [], entry: 'src/main.ts' | 'dist/main.mjs' = 'src/main.ts'): Promise<ServerProcess> {
  const server = await startServer(env, args, entry);
  cleanups.push(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await server.exited;
  });
  return server;
}

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  expect((await server.exited).code).toBe(0);
}

/** Resolves once the output holds `pattern`; fails after a few seconds. */
async function waitFor(server: ServerProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  const until = Date.now() + 10_000;
  for (;;) {
    const match = server.output().match(pattern);
    if (match) return match;
    if (Date.now() > until) throw new Error(`no ${pattern} in:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Splits a printed shell command into words: single and double quotes, and `\` line continuations. */
function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i] as string;
    if (quote !== null) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= '';
    } else if (ch === '\\' && command[i + 1] === '\n') {
      i++;
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

interface Curl {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** The curl commands of a block: each starts a line with `curl` and runs on over lines ending in `\`. */
function curls(block: string): Curl[] {
  const commands: string[] = [];
  let open = false;
  for (const line of block.split('\n')) {
    if (open) commands[commands.length - 1] += `\n${line}`;
    else if (line.startsWith('curl ')) commands.push(line);
    else continue;
    open = line.endsWith('\\');
  }
  return commands.map((command) => {
    const words = shellWords(command).slice(1);
    const curl: Curl = { method: 'GET', url: '', headers: {} };
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      if (word === '-X') curl.method = words[++i] as string;
      else if (word === '-H') {
        const header = words[++i] as string;
        const colon = header.indexOf(':');
        curl.headers[header.slice(0, colon)] = header.slice(colon + 1).trim();
      } else if (word === '-d') curl.body = words[++i] as string;
      else if (word === '-sS') continue;
      else if (word === '-w') expect(words[++i]).toBe('\\n');
      else if (word.startsWith('-')) throw new Error(`unexpected curl option ${word}`);
      else curl.url = word;
    }
    return curl;
  });
}

const send = (c: Curl) => fetch(c.url, { method: c.method, headers: c.headers, ...(c.body !== undefined ? { body: c.body } : {}) });

describe('the start command line and GATEWAY_DEMO', () => {
  it('accepts --demo, and the `--` that pnpm passes along; anything else is refused', () => {
    expect(parseStartArgs([])).toEqual({ demo: false });
    expect(parseStartArgs(['--demo'])).toEqual({ demo: true });
    expect(parseStartArgs(['--', '--demo'])).toEqual({ demo: true });
    expect(() => parseStartArgs(['--dmeo'])).toThrow('unknown argument "--dmeo" (the only option is --demo)');
  });

  it('GATEWAY_DEMO is 1 or 0 (true or false); unset means no demo', () => {
    expect(parseConfig({}).demo).toBe(false);
    expect(parseConfig({ GATEWAY_DEMO: '1' }).demo).toBe(true);
    expect(parseConfig({ GATEWAY_DEMO: 'true' }).demo).toBe(true);
    expect(parseConfig({ GATEWAY_DEMO: '0' }).demo).toBe(false);
    expect(() => parseConfig({ GATEWAY_DEMO: 'yes' })).toThrow(new ConfigError('GATEWAY_DEMO must be 1 or 0'));
  });
});

describe('first run', () => {
  // The sources through tsx, as the tests start them, and the bundle that `pnpm start` builds and runs.
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: GATEWAY_DIR, stdio: 'pipe' });
  });

  it.each(['src/main.ts', 'dist/main.mjs'] as const)('%s: GATEWAY_DEMO=1 on an empty database prints the token and curl commands that create an agent in each dialect; a second start does not seed again', async (entry) => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const env = childEnv({ DATABASE_URL: join(dir, 'gateway.db'), GATEWAY_ENCRYPTION_KEY: TEST_KEY });

    const first = await start({ ...env, GATEWAY_DEMO: '1' }, [], entry);
    const block = (await waitFor(first, new RegExp(`${RULE}\\nDEMO TENANT[\\s\\S]*?/docs\\n${RULE}\\n`)))[0];
    const token = /sk_live_[A-Za-z0-9]+/.exec(block)?.[0] as string;
    expect(token).toBeDefined();
    // Printed once, on stdout, and never inside a JSON log line.
    expect(first.output().split(token).length - 1).toBe(block.split(token).length - 1);
    expect(block).toContain(`http://127.0.0.1:${first.port}/docs`);

    const [legacyCreate, orgCreate, legacyList, orgList, ...rest] = curls(block);
    expect(rest).toEqual([]);
    expect(legacyCreate).toMatchObject({ method: 'POST', url: expect.stringMatching(`^http://127\\.0\\.0\\.1:${first.port}/v1/users/usr_[0-9a-f]+/agents$`) });
    expect(legacyCreate?.headers['x-api-key']).toBe(token);
    expect(orgCreate).toMatchObject({ method: 'POST', url: `http://127.0.0.1:${first.port}/api/v1/agents` });
    expect(orgCreate?.headers.Authorization).toBe(`Bearer ${token}`);

    const legacy = await send(legacyCreate as Curl);
    expect(legacy.status).toBe(201);
    expect(await legacy.json()).toMatchObject({ agent_id: expect.stringMatching(/^agent_/), name: 'Support Agent' });
    const org = await send(orgCreate as Curl);
    expect(org.status).toBe(201);
    expect(await org.json()).toMatchObject({ data: { handle: 'wismo', name: 'WISMO', tools_count: 2 } });

    const legacyAgents = (await (await send(legacyList as Curl)).json()) as { agents: unknown[] };
    const orgAgents = (await (await send(orgList as Curl)).json()) as { data: unknown[] };
    expect(legacyAgents.agents).toHaveLength(2);
    expect(orgAgents.data).toHaveLength(2);
    // The API reference and its browser bundle, which the server finds in node_modules.
    const page = await (await fetch(`http://127.0.0.1:${first.port}/docs`)).text();
    const asset = /\/docs\/assets\/[^"]+/.exec(page)?.[0] as string;
    const script = await fetch(`http://127.0.0.1:${first.port}${asset}`);
    expect({ status: script.status, size: (await script.arrayBuffer()).byteLength > 100_000 }).toEqual({ status: 200, size: true });
    await stop(first);

    // The database is no longer empty: `--demo` (as `pnpm start -- --demo` passes it) seeds nothing.
    const second = await start(env, ['--', '--demo'], entry);
    await waitFor(second, /"msg":"demo skipped: the database is not empty[^"]*"/);
    expect(second.output()).not.toContain('sk_live_');
    expect(second.output()).not.toContain('DEMO TENANT');
    const still = await fetch(`http://127.0.0.1:${second.port}/api/v1/agents`, { headers: { Authorization: `Bearer ${token}` } });
    expect(((await still.json()) as { data: unknown[] }).data).toHaveLength(2);
    await stop(second);
  });

  it('without --demo or GATEWAY_DEMO nothing is seeded', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = join(dir, 'gateway.db');
    const server = await start(childEnv({ DATABASE_URL: file, GATEWAY_ENCRYPTION_KEY: TEST_KEY }));
    expect((await fetch(`http://127.0.0.1:${server.port}/readyz`)).status).toBe(200);
    await stop(server);
    expect(server.output()).not.toContain('DEMO TENANT');
    expect(server.output()).not.toContain('demo');

    const storage = await openGatewayStorage({ database: { kind: 'sqlite', file }, encryptionKey: TEST_KEY });
    cleanups.push(() => storage.close());
    expect(await storage.uow.read((repos) => repos.orgs.count())).toBe(0);
  });
});
