import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SCOPES } from '@gateway/core';
import { runCli as runInProcess } from '../src/cli/run';
import { childEnv, GATEWAY_DIR, REPO_DIR, runCli, tempDir, TEST_KEY, type Run } from './helpers';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TOKEN = /^sk_live_[0-9A-Za-z]{32}$/;

// The tests run concurrently, each in its own folder; the folders go when all are done.
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

function database() {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const file = join(dir, 'gateway.db');
  return { file, env: childEnv({ DATABASE_URL: file, GATEWAY_ENCRYPTION_KEY: TEST_KEY }) };
}

/** The same CLI, called in this process: quicker for the paths that need no separate process. */
async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runInProcess(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env });
  return { code, stdout, stderr };
}

/** Runs a command with --json (in a child process with `runCli`) and returns its one JSON object, failing on anything else on stdout. */
async function json(args: string[], env: NodeJS.ProcessEnv, run: typeof cli = cli): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await run([...args, '--json'], env);
  const result = { code, stdout, stderr };
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const lines = result.stdout.split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toBe('');
  return JSON.parse(lines[0] as string) as Record<string, unknown>;
}

describe.concurrent('admin CLI', () => {
  it('orgs create --json prints exactly one JSON object', async () => {
    const { env } = database();
    const org = await json(['orgs', 'create', '--name', 'Acme'], env, runCli);
    expect(org).toEqual({ id: expect.stringMatching(/^org_[0-9a-f]{24}$/), name: 'Acme', plan: 'free', created_at: expect.stringMatching(ISO) });
  });

  it('as the README runs it, `npx -y pnpm@10.34.8 --silent gateway …`, prints only what was asked for', async () => {
    const { env } = database();
    const readme = (args: string[]) =>
      new Promise<Run>((done) =>
        execFile('npx', ['-y', 'pnpm@10.34.8', '--silent', 'gateway', ...args], { cwd: REPO_DIR, env }, (error, stdout, stderr) =>
          done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
        ),
      );
    const created = await readme(['orgs', 'create', '--name', 'Acme', '--plan', 'enterprise', '--json']);
    expect(created.stdout.endsWith('}\n')).toBe(true);
    expect(created.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: expect.stringMatching(/^org_/), name: 'Acme', plan: 'enterprise' });

    const id = await readme(['orgs', 'create', '--name', 'Acme', '--print', 'id']);
    expect(id).toEqual({ code: 0, stdout: expect.stringMatching(/^org_[0-9a-f]{24}\n$/), stderr: '' });

    // A failed step: exit 1, one line on stderr, nothing from pnpm around it.
    const failed = await readme(['users', 'create', '--org', '', '--name', 'Alice', '--print', 'id']);
    expect(failed).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: --org is empty (usage: gateway users create --org ORG_ID --name NAME [--email EMAIL])\n',
    });
  }, 240_000);

  it('creates users and keys; the token is shown once and only its SHA-256 is stored', async () => {
    const { file, env } = database();
    const org = await json(['orgs', 'create', '--name', 'Acme', '--plan', 'pro'], env);
    const user = await json(['users', 'create', '--org', org.id as string, '--name', 'Alice', '--email', 'alice@acme.test'], env);
    expect(user).toEqual({
      id: expect.stringMatching(/^usr_[0-9a-f]{24}$/),
      org_id: org.id,
      name: 'Alice',
      email: 'alice@acme.test',
      created_at: expect.stringMatching(ISO),
    });

    const key = await json(
      ['keys', 'create', '--org', org.id as string, '--user', user.id as string, '--scopes', 'agents:read,agents:write', '--name', 'ci', '--expires-at', '2099-01-01T00:00:00Z'],
      env,
      runCli,
    );
    expect(key).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{24}$/),
      token: expect.stringMatching(TOKEN),
      org_id: org.id,
      user_id: user.id,
      name: 'ci',
      scopes: ['agents:read', 'agents:write'],
      expires_at: '2099-01-01T00:00:00.000Z',
      created_at: expect.stringMatching(ISO),
    });
    const token = key.token as string;
    const hash = createHash('sha256').update(token).digest('hex');

    // Every text column of every table: the token nowhere, its hash somewhere.
    const db = new Database(file, { readonly: true });
    let hashFound = false;
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
      expect(tables.length).toBeGreaterThan(3);
      for (const { name: table } of tables) {
        const columns = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[];
        for (const { name: column } of columns) {
          const values = db.prepare(`SELECT CAST("${column}" AS TEXT) AS v FROM "${table}"`).all() as { v: string | null }[];
          for (const { v } of values) {
            expect(v ?? '', `${table}.${column}`).not.toContain(token);
            if (v?.includes(hash)) hashFound = true;
          }
        }
      }
    } finally {
      db.close();
    }
    expect(hashFound).toBe(true);
    // And not in the raw bytes of the database or its write-ahead log either.
    for (const path of [file, `${file}-wal`]) {
      if (existsSync(path)) expect(readFileSync(path).includes(Buffer.from(token))).toBe(false);
    }

    const listed = await cli(['keys', 'list', '--org', org.id as string, '--json'], env);
    const list = JSON.parse(listed.stdout) as { keys: Record<string, unknown>[] };
    expect(list.keys).toHaveLength(1);
    expect(list.keys[0]).toMatchObject({ id: key.id, scopes: ['agents:read', 'agents:write'], revoked_at: null, last_used_at: null });
    expect(listed.stdout).not.toContain(token);
    expect(listed.stdout).not.toContain(hash);
    expect(listed.stdout).not.toContain('token');

    const revoked = await json(['keys', 'revoke', key.id as string], env);
    expect(revoked).toMatchObject({ id: key.id, revoked_at: expect.stringMatching(ISO) });
    expect(JSON.stringify(revoked)).not.toContain(hash);
  }, 60_000);

  it('demo creates an org, a user, two numbers and a key with every scope, and prints curl for both dialects', async () => {
    const { env } = database();
    const demo = await json(['demo'], env, runCli);
    expect(demo).toMatchObject({
      org: { id: expect.stringMatching(/^org_/), name: 'Demo Org', plan: 'pro' },
      user: { id: expect.stringMatching(/^usr_/) },
      key: { token: expect.stringMatching(TOKEN), scopes: [...SCOPES], user_id: null },
    });
    const numbers = demo.phone_numbers as { platform: string; user_id: string }[];
    expect(numbers.map((n) => n.platform)).toEqual(['whatsapp', 'instagram']);
    expect(numbers.every((n) => n.user_id === (demo.user as { id: string }).id)).toBe(true);

    const text = await cli(['demo'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/curl -sS -X POST http:\/\/127\.0\.0\.1:3000\/v1\/users\/usr_[0-9a-f]{24}\/agents/);
    expect(text.stdout).toContain("-H 'x-api-key: sk_live_");
    expect(text.stdout).toContain('curl -sS -X POST http://127.0.0.1:3000/api/v1/agents');
    expect(text.stdout).toContain("-H 'Authorization: Bearer sk_live_");
    expect(text.stdout).toContain('The API reference of both dialects: http://127.0.0.1:3000/docs\n');
    // It cannot tell whether a server runs: it says where it expects one, and how to start it.
    expect(text.stdout).toContain('Paste these into a terminal while the server runs at http://127.0.0.1:3000\n');
    expect(text.stdout).not.toMatch(/Start the server/);
  }, 60_000);

  it('demo prints its requests for the PORT and HOST of its environment, as the server listens', async () => {
    const { env } = database();
    const text = await cli(['demo'], { ...env, PORT: '3917', HOST: '0.0.0.0' });
    expect(text.code).toBe(0);
    const urls = text.stdout.match(/http:\/\/[^\s/']+/g) ?? [];
    expect(urls.length).toBeGreaterThanOrEqual(6);
    expect(new Set(urls)).toEqual(new Set(['http://127.0.0.1:3917']));
    expect(text.stdout).toContain('http://127.0.0.1:3917/docs');
    expect((await cli(['demo'], { ...env, PORT: '8080', HOST: '::1' })).stdout).toContain('curl -sS http://[::1]:8080/api/v1/agents');
  }, 60_000);

  it('prints a domain error as one line on stderr, and as a JSON error with --json; exit 1', async () => {
    const { env } = database();
    const plain = await cli(['users', 'create', '--org', 'org_000000000000000000000000', '--name', 'Bob'], env);
    expect(plain).toEqual({ code: 1, stdout: '', stderr: 'error: Org not found: org_000000000000000000000000\n' });

    const org = JSON.parse((await cli(['orgs', 'create', '--name', 'Acme', '--json'], env)).stdout) as { id: string };
    const scopes = await cli(['keys', 'create', '--org', org.id as string, '--scopes', 'agents:read,agents:fly', '--json'], env);
    expect(scopes.code).toBe(1);
    expect(scopes.stderr).toBe('error: unknown scopes: agents:fly\n');
    expect(JSON.parse(scopes.stdout)).toEqual({ error: { code: 'validation_failed', message: 'unknown scopes: agents:fly' } });

    const plan = await cli(['orgs', 'create', '--name', 'Acme', '--plan', 'gold'], env);
    expect(plan).toMatchObject({ code: 1, stderr: 'error: plan must be one of free, pro, enterprise\n' });
  }, 60_000);

  it('rejects a bad command line before opening the database', async () => {
    const { file, env } = database();
    const missing = await cli(['orgs', 'create', '--json'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('error: --name is required (usage: gateway orgs create --name NAME [--plan free|pro|enterprise])\n');
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'usage_error' } });

    const unknown = await cli(['orgs', 'create', '--name', 'A', '--colour', 'red'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: unknown option --colour (usage: gateway orgs create --name NAME [--plan free|pro|enterprise])\n');

    const expiry = await cli(['keys', 'create', '--org', 'org_x', '--scopes', 'agents:read', '--expires-at', 'tomorrow'], env);
    expect(expiry.stderr).toMatch(/^error: --expires-at must be an ISO 8601 timestamp/);

    const command = await cli(['agents', 'launch'], env);
    expect(command).toMatchObject({ code: 1, stderr: 'error: unknown command "agents launch" (run `gateway --help`)\n' });

    // node:util's parser says these over three lines; each is one line here, in the JSON error too.
    const usersUsage = '(usage: gateway users create --org ORG_ID --name NAME [--email EMAIL])';
    const emptyVariable = await cli(['users', 'create', '--org', '--name', 'Alice', '--json'], env);
    expect(emptyVariable.code).toBe(1);
    expect(emptyVariable.stderr).toBe(`error: --org needs a value ${usersUsage}\n`);
    expect(JSON.parse(emptyVariable.stdout)).toEqual({ error: { code: 'usage_error', message: `--org needs a value ${usersUsage}` } });
    expect(await cli(['users', 'create', '--name', 'Alice', '--org'], env)).toMatchObject({ code: 1, stderr: `error: --org needs a value ${usersUsage}\n` });
    expect(await cli(['users', 'create', '--org', '  ', '--name', 'Alice'], env)).toMatchObject({ code: 1, stderr: `error: --org is empty ${usersUsage}\n` });
    expect(await cli(['users', 'create', '--org', 'org_x', '--name', 'A', '--json=yes'], env)).toMatchObject({
      code: 1,
      stderr: `error: --json takes no value ${usersUsage}\n`,
    });
    expect(await cli(['orgs', 'list', 'extra'], env)).toMatchObject({ code: 1, stderr: 'error: unexpected argument "extra" (usage: gateway orgs list)\n' });

    // --print is checked before anything runs, so a typo in it creates nothing.
    expect(await cli(['orgs', 'create', '--name', 'A', '--print', 'ID'], env)).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error: --print must name one of id, name, plan, created_at (usage: gateway orgs create --name NAME [--plan free|pro|enterprise])\n',
    });
    expect((await cli(['orgs', 'create', '--name', 'A', '--print', 'id', '--json'], env)).stderr).toMatch(
      /^error: --print and --json cannot be used together/,
    );
    expect((await cli(['demo', '--print', 'id'], env)).stderr).toBe('error: gateway demo has no --print (use --json) (usage: gateway demo)\n');
    expect(existsSync(file)).toBe(false);
  }, 60_000);

  it('prints usage with --help', async () => {
    const { env } = database();
    const help = await cli(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('keys create --org ORG_ID');
    expect(help.stdout).toContain('npx -y pnpm@10.34.8 --silent gateway');
    for (const command of ['orgs create', 'orgs list', 'users create', 'users list --org ORG_ID', 'keys revoke KEY_ID', 'keys list', 'demo']) {
      expect(help.stdout).toContain(`  ${command}`);
    }
  });

  it.each([
    ['orgs', ['orgs create --name NAME', 'orgs list'], ['users create', 'keys create']],
    ['users', ['users create --org ORG_ID --name NAME', 'users list --org ORG_ID'], ['orgs create', 'keys create']],
    ['keys', ['keys create --org ORG_ID', 'keys revoke KEY_ID', 'keys list --org ORG_ID'], ['orgs create', 'users create']],
  ])('every group answers --help and help with its commands: %s', async (group, has, hasNot) => {
    const { file, env } = database();
    const runs = [await cli([group, '--help'], env), await cli([group, 'help'], env), await cli([group, '-h'], env), await cli(['help', group], env)];
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(new RegExp(`^Usage: gateway ${group} <command>`));
      for (const line of has) expect(run.stdout).toContain(`  ${line}`);
      for (const line of hasNot) expect(run.stdout).not.toContain(line);
    }
    const bare = await cli([group], env);
    expect(bare.code).toBe(1);
    expect(bare.stdout).toBe('');
    expect(bare.stderr.split('\n')).toHaveLength(2);
    expect(bare.stderr).toMatch(new RegExp(`^error: "${group}" needs a command \\(the ${group} commands: `));
    const unknown = await cli([group, 'frobnicate'], env);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(new RegExp(`^error: unknown command "${group} frobnicate" \\(the ${group} commands: [a-z, ]+\\)\n$`)) });
    expect(existsSync(file)).toBe(false);
  });

  it('a command answers --help with its usage, its purpose and its --print fields', async () => {
    const { env } = database();
    const help = await cli(['keys', 'create', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: gateway keys create --org ORG_ID .* \[--json \| --print FIELD\]\n/);
    expect(help.stdout).toContain('Fields for --print: id, token, org_id, user_id, name, scopes, expires_at, created_at');
  });

  it('lists orgs and users, newest first, so a lost id can be found again; --print id gives one per line', async () => {
    const { env } = database();
    expect(await cli(['orgs', 'list'], env)).toEqual({ code: 0, stdout: 'No orgs.\n', stderr: '' });
    expect(await json(['orgs', 'list'], env)).toEqual({ orgs: [] });

    const acme = await json(['orgs', 'create', '--name', 'Acme', '--plan', 'pro'], env);
    await new Promise((r) => setTimeout(r, 5));
    const globex = await json(['orgs', 'create', '--name', 'Globex'], env);
    const orgs = (await json(['orgs', 'list'], env)).orgs as Record<string, unknown>[];
    expect(orgs).toEqual([globex, acme]);
    expect((await cli(['orgs', 'list', '--print', 'id'], env)).stdout).toBe(`${globex.id}\n${acme.id}\n`);
    const text = await cli(['orgs', 'list'], env);
    expect(text.stdout.split('\n')).toEqual([
      '2 org(s)',
      expect.stringMatching(new RegExp(`^  ${globex.id}  free +  ${globex.created_at}  "Globex"$`)),
      expect.stringMatching(new RegExp(`^  ${acme.id}  pro +  ${acme.created_at}  "Acme"$`)),
      '',
    ]);

    expect(await cli(['users', 'list', '--org', acme.id as string], env)).toEqual({ code: 0, stdout: 'No users.\n', stderr: '' });
    const alice = await json(['users', 'create', '--org', acme.id as string, '--name', 'Alice', '--email', 'alice@acme.test'], env);
    await new Promise((r) => setTimeout(r, 5));
    const bob = await json(['users', 'create', '--org', acme.id as string, '--name', 'Bob'], env);
    await json(['users', 'create', '--org', globex.id as string, '--name', 'Carol'], env);
    expect(await json(['users', 'list', '--org', acme.id as string], env)).toEqual({ users: [bob, alice] });
    expect((await cli(['users', 'list', '--org', acme.id as string, '--print', 'email'], env)).stdout).toBe('\nalice@acme.test\n');
    const users = await cli(['users', 'list', '--org', acme.id as string], env);
    expect(users.stdout).toContain(`  ${alice.id}  ${alice.created_at}  "Alice"  alice@acme.test`);
    expect(users.stdout).toContain(`  ${bob.id}  ${bob.created_at}  "Bob"  -`);

    const unknown = await cli(['users', 'list', '--org', 'org_000000000000000000000000', '--json'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: Org not found: org_000000000000000000000000\n');
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'not_found' } });
  }, 60_000);

  it('--print prints one field of what was made: the id, or the token of a new key', async () => {
    const { env } = database();
    const org = await cli(['orgs', 'create', '--name', 'Acme', '--print', 'id'], env);
    expect(org).toEqual({ code: 0, stdout: expect.stringMatching(/^org_[0-9a-f]{24}\n$/), stderr: '' });
    const orgId = org.stdout.trim();
    const key = await cli(['keys', 'create', '--org', orgId, '--scopes', 'agents:read,org:read', '--print', 'token'], env);
    expect(key).toEqual({ code: 0, stdout: expect.stringMatching(/^sk_live_[0-9A-Za-z]{32}\n$/), stderr: '' });
    expect((await cli(['keys', 'list', '--org', orgId, '--print', 'scopes'], env)).stdout).toBe('agents:read,org:read\n');
    expect((await cli(['keys', 'list', '--org', orgId, '--print', 'user_id'], env)).stdout).toBe('\n');
  }, 60_000);

  it('a reader that has gone away is no crash: the exit code still says how the command went', async () => {
    const { env } = database();
    // `true` exits without reading: the CLI's write finds the pipe closed (EPIPE).
    const run = await new Promise<Run>((done) =>
      execFile('sh', ['-c', `(node --import tsx src/cli/main.ts orgs create --name Acme --json; echo "exit $?" >&2) | true`], { cwd: GATEWAY_DIR, env }, (error, stdout, stderr) =>
        done({ code: error === null ? 0 : null, stdout, stderr }),
      ),
    );
    expect(run).toEqual({ code: 0, stdout: '', stderr: 'exit 0\n' });
  }, 60_000);

  it('stops on bad configuration with one line', async () => {
    const { env } = database();
    const run = await cli(['orgs', 'create', '--name', 'Acme'], { ...env, GATEWAY_ENCRYPTION_KEY: 'nope' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^config error: GATEWAY_ENCRYPTION_KEY must be 64 hex characters[^\n]*\n$/);
  });
});
