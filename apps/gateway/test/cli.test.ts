import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SCOPES } from '@gateway/core';
import { runCli as runInProcess } from '../src/cli/run';
import { childEnv, REPO_DIR, runCli, tempDir, TEST_KEY, type Run } from './helpers';

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

  it('root `pnpm --silent gateway … --json` prints the same single object', async () => {
    const { env } = database();
    const stdout = await new Promise<string>((done, fail) =>
      execFile('pnpm', ['--silent', 'gateway', 'orgs', 'create', '--name', 'Acme', '--plan', 'enterprise', '--json'], { cwd: REPO_DIR, env }, (error, out) =>
        error ? fail(error) : done(out),
      ),
    );
    expect(stdout.endsWith('}\n')).toBe(true);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout)).toMatchObject({ id: expect.stringMatching(/^org_/), name: 'Acme', plan: 'enterprise' });
  }, 60_000);

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
    expect(missing.stderr).toBe('error: --name is required (usage: pnpm gateway orgs create --name NAME [--plan free|pro|enterprise])\n');
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'usage_error' } });

    const unknown = await cli(['orgs', 'create', '--name', 'A', '--colour', 'red'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.split('\n')).toHaveLength(2);
    expect(unknown.stderr).toContain("'--colour'");

    const expiry = await cli(['keys', 'create', '--org', 'org_x', '--scopes', 'agents:read', '--expires-at', 'tomorrow'], env);
    expect(expiry.stderr).toMatch(/^error: --expires-at must be an ISO 8601 timestamp/);

    const command = await cli(['agents', 'launch'], env);
    expect(command).toMatchObject({ code: 1, stderr: 'error: unknown command "agents launch" (run `pnpm gateway --help`)\n' });
    expect(existsSync(file)).toBe(false);
  }, 60_000);

  it('prints usage with --help', async () => {
    const { env } = database();
    const help = await cli(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('keys create --org ORG_ID');
  });

  it('stops on bad configuration with one line', async () => {
    const { env } = database();
    const run = await cli(['orgs', 'create', '--name', 'Acme'], { ...env, GATEWAY_ENCRYPTION_KEY: 'nope' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^config error: GATEWAY_ENCRYPTION_KEY must be 64 hex characters[^\n]*\n$/);
  });
});
