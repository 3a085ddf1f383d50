import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../src/logger';

export const GATEWAY_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
export const REPO_DIR = resolve(GATEWAY_DIR, '../..');
export const TEST_KEY = 'a'.repeat(64);

/** A fresh folder for one test, removed afterwards by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-app-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment of a child process: the caller's, minus every gateway variable, plus `vars`. */
export function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(PORT|HOST|DATABASE_|REDIS_URL|API_KEY_CACHE_|GATEWAY_|META_|LOG_LEVEL|RATE_LIMIT_|AUTH_FAILURES_|CORS_|OPENAI_|REPLY_)/.test(name)) delete env[name];
    // What npm and pnpm put in a script's environment: a person typing the README's commands has none of it.
    if (/^npm_/i.test(name)) delete env[name];
  }
  return { ...env, NODE_ENV: 'development', ...vars };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript entry point of the gateway with node and tsx, as `pnpm` does, and waits. */
export function runTs(entry: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: GATEWAY_DIR, env }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export const runCli = (args: string[], env: NodeJS.ProcessEnv) => runTs('src/cli/main.ts', args, env);

/** A logger whose JSON lines land in an array. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[]; raw: () => string } {
  let raw = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      raw += chunk.toString();
      done();
    },
  });
  const logger = createLogger('info', stream);
  return {
    logger,
    raw: () => raw,
    lines: () =>
      raw
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Everything the server wrote to stdout so far. */
  output: () => string;
  /** Resolves with the exit code (or the signal that ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the server (with `args`) as a child process and waits until it listens: `src/main.ts`
 * through tsx, or `dist/main.mjs`, the bundle `pnpm start` runs, on plain Node.
 */
export async function startServer(env: NodeJS.ProcessEnv, args: string[] = [], entry: 'src/main.ts' | 'dist/main.mjs' = 'src/main.ts'): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(entry === 'src/main.ts' ? ['--import', 'tsx'] : []), entry, ...args], {
    cwd: GATEWAY_DIR,
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal })),
  );
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => {
      // A server that never said it listens is not left running behind the failed test.
      child.kill('SIGKILL');
      fail(new Error(`server did not start:\n${stdout}\n${stderr}`));
    }, 45_000);
    const check = () => {
      if (stdout.includes('gateway listening on')) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      fail(new Error(`server exited before listening:\n${stdout}\n${stderr}`));
    });
  });
  return { child, port, output: () => stdout, exited };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 exchange over a raw socket, so a test decides when each byte is sent. `send` writes
 * part of the request; `finish` writes the rest; `response` resolves when the server has closed the
 * connection, with the parsed response (rejecting when it is incomplete).
 */
export async function rawRequest(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((done, fail) => {
    socket.once('connect', done);
    socket.once('error', fail);
  });
  const chunks: Buffer[] = [];
  let firstByteAt: number | null = null;
  socket.on('data', (chunk: Buffer) => {
    firstByteAt ??= Date.now();
    chunks.push(chunk);
  });
  const response = new Promise<RawResponse & { firstByteAt: number }>((done, fail) => {
    socket.once('error', fail);
    socket.once('close', () => {
      try {
        done({ ...parseResponse(Buffer.concat(chunks).toString('utf8')), firstByteAt: firstByteAt ?? Date.now() });
      } catch (error) {
        fail(error);
      }
    });
  });
  response.catch(() => {});
  return {
    send: (text: string) => new Promise<void>((done) => socket.write(text, () => done())),
    receivedAnything: () => chunks.length > 0,
    response,
  };
}

function parseResponse(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`incomplete response head: ${JSON.stringify(raw)}`);
  const [statusLine, ...headerLines] = raw.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = raw.slice(end + 4);
  const length = headers['content-length'];
  if (length === undefined) throw new Error(`response without content-length: ${JSON.stringify(raw)}`);
  if (Buffer.byteLength(body) !== Number(length)) throw new Error(`truncated body: ${JSON.stringify(raw)}`);
  return { status, headers, body };
}
