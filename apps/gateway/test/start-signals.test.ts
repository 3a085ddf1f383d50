import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, freePort, GATEWAY_DIR, rawRequest, REPO_DIR, startServer, tempDir, TEST_KEY, type ServerProcess } from './helpers';

/**
 * Stopping `pnpm start` the way people do: Ctrl-C in a terminal (SIGINT to every process of the
 * job), SIGTERM to the job, or SIGTERM to the process a supervisor started. A clean stop must look
 * clean: the gateway's own lines, exit code 0, no ERR_PNPM_… or ELIFECYCLE lines.
 */

const PNPM = 'pnpm@10.34.8';
const PNPM_ERRORS = /ERR_PNPM|ELIFECYCLE|Command failed/;

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

const run = (file: string, args: string[]) =>
  new Promise<string>((done, fail) => execFile(file, args, { cwd: REPO_DIR }, (error, stdout) => (error ? fail(error) : done(stdout.trim()))));

/** The pnpm the README's `npx -y pnpm@10.34.8` runs, so a test can start it without npm around it. */
let pnpmBin: string;
/** `pnpm start` as someone with pnpm installed runs it: pnpm on the PATH. */
const pnpmStart = () => startJob(process.execPath, [pnpmBin, 'start'], { PATH: `${dirname(pnpmBin)}${delimiter}${process.env.PATH ?? ''}` });

/** Whether this machine's `sh -c` replaces itself with a lone command (bash does; dash does not). */
let shExecsLoneCommand: boolean;
beforeAll(async () => {
  pnpmBin = await run('npx', ['-y', '-p', PNPM, '-c', 'command -v pnpm']);
  const ppid = await run('sh', ['-c', `"${process.execPath}" -e "process.stdout.write(String(process.ppid))"`]);
  shExecsLoneCommand = Number(ppid) === process.pid;
}, 120_000);

interface Job {
  pid: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The gateway's own process id, from its log lines. */
  gatewayPid: () => number;
}

/** Starts a command as a terminal would: in a process group of its own, the job. */
async function startJob(file: string, args: string[], vars: Record<string, string> = {}): Promise<Job> {
  const { dir, cleanup } = tempDir();
  const port = await freePort();
  const child = spawn(file, args, {
    cwd: REPO_DIR,
    env: childEnv({ DATABASE_URL: join(dir, 'g.db'), GATEWAY_ENCRYPTION_KEY: TEST_KEY, PORT: String(port), ...vars }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  const pid = child.pid as number;
  cleanups.push(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // The job has ended.
    }
    cleanup();
  });
  const until = Date.now() + 120_000;
  while (!output.includes('gateway listening on')) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`the gateway did not start:\n${output}`);
    await sleep(50);
  }
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  const gatewayPid = () => Number(/"pid":(\d+)[^\n]*"msg":"gateway listening on/.exec(output)?.[1]);
  return { pid, output: () => output, exited, gatewayPid };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The gateway stopped once, gracefully, and is gone; nothing else complained. */
async function expectCleanStop(job: Job, signal: NodeJS.Signals) {
  // npm may end before the gateway has written its last line: wait for the gateway itself.
  for (let i = 0; i < 100 && alive(job.gatewayPid()); i++) await sleep(50);
  expect(alive(job.gatewayPid())).toBe(false);
  await sleep(100);
  const output = job.output();
  expect(output.match(/"msg":"shutting down: no new connections, finishing requests in flight"/g)).toHaveLength(1);
  expect(output).toContain(`"signal":"${signal}"`);
  expect(output).toContain('"msg":"stopped"');
  // pnpm passes the signal on to a gateway that has it already: that is the same stop, not a second one.
  expect(output).not.toContain('second signal');
  expect(output).not.toMatch(PNPM_ERRORS);
}

describe('pnpm start, stopped', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('by %s to the whole job (Ctrl-C is SIGINT to it) exits 0 without a pnpm error', async (signal) => {
    const job = await pnpmStart();
    process.kill(-job.pid, signal);
    expect(await job.exited).toEqual({ code: 0, signal: null });
    await expectCleanStop(job, signal);
  }, 90_000);

  it('by SIGTERM to pnpm alone, as a supervisor sends it, stops the gateway too and exits 0', async () => {
    const job = await pnpmStart();
    process.kill(job.pid, 'SIGTERM');
    expect(await job.exited).toEqual({ code: 0, signal: null });
    await expectCleanStop(job, 'SIGTERM');
  }, 90_000);

  it('as the README starts it, `npx -y pnpm@10.34.8 start`, Ctrl-C ends without a pnpm error', async () => {
    const job = await startJob('npx', ['-y', PNPM, 'start']);
    process.kill(-job.pid, 'SIGINT');
    const exit = await job.exited;
    await expectCleanStop(job, 'SIGINT');
    // npm runs pnpm through `sh -c`. A shell that waits for its command (dash, Debian's and
    // Ubuntu's sh) is killed by the Ctrl-C itself, and npm then ends by the same signal (130 in
    // the terminal), silently; a shell that replaces itself with the command lets pnpm's 0 through.
    expect(exit).toEqual(shExecsLoneCommand ? { code: 0, signal: null } : { code: null, signal: 'SIGINT' });
  }, 120_000);

  it('runs the same command as the gateway package, from its folder', () => {
    const scripts = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { scripts: Record<string, string> }).scripts;
    // The bundle is built first; then `exec`: no shell waits in between to be killed by the Ctrl-C
    // and report it as a failure.
    expect(scripts(join(GATEWAY_DIR, 'package.json')).start).toMatch(/^node scripts\/build\.mjs && exec node [^&|;]*dist\/main\.mjs$/);
    expect(scripts(join(REPO_DIR, 'package.json')).start).toBe(`cd apps/gateway && ${scripts(join(GATEWAY_DIR, 'package.json')).start}`);
  });
});

describe('signals during shutdown', () => {
  let server: ServerProcess | undefined;
  afterEach(() => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    server = undefined;
  });

  it('a repeat within a second is the same stop; a later one closes what is still open at once', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    server = await startServer(childEnv({ DATABASE_URL: join(dir, 'g.db'), GATEWAY_ENCRYPTION_KEY: TEST_KEY }));
    // A client that never finishes its request: without a second signal it holds the stop for 10 s.
    const stuck = await rawRequest(server.port);
    await stuck.send('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    await sleep(200);

    server.child.kill('SIGINT');
    server.child.kill('SIGINT');
    server.child.kill('SIGTERM');
    await sleep(1_500);
    expect(server.child.exitCode).toBeNull();
    expect(server.output()).not.toContain('second signal');

    const signalledAt = Date.now();
    server.child.kill('SIGINT');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(3_000);
    expect(server.output()).toContain('"msg":"second signal: closing open connections now"');
    await expect(stuck.response).rejects.toThrow(/incomplete response/);
  }, 120_000);
});
