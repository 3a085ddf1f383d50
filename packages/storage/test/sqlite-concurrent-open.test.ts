import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Contract §9: several processes opening one fresh SQLite file at the same moment migrate it once. */

const PROCESSES = 4;
const ROUNDS = 15;
const dir = mkdtempSync(join(tmpdir(), 'gateway-concurrent-open-'));
const script = fileURLToPath(new URL('./processes/open-on-command.ts', import.meta.url));
let children: ChildProcess[] = [];

const nextMessage = (child: ChildProcess) =>
  new Promise<{ ok?: boolean; error?: string; started?: boolean }>((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`child exited with ${code}`));
    child.once('exit', exited);
    child.once('message', (message) => {
      child.off('exit', exited);
      resolve(message as { ok?: boolean; error?: string });
    });
  });

beforeAll(async () => {
  children = Array.from({ length: PROCESSES }, () => fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  await Promise.all(children.map(nextMessage));
}, 60_000);

afterAll(() => {
  for (const child of children) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite: several processes starting on one new file', () => {
  it(`${PROCESSES} processes opening a fresh file at once, ${ROUNDS} times: every open succeeds and each migration is applied once`, async () => {
    const failures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const file = join(dir, `round-${round}.db`);
      const answers = children.map(nextMessage);
      for (const child of children) child.send(file);
      for (const answer of await Promise.all(answers)) if (!answer.ok) failures.push(`round ${round}: ${answer.error ?? 'not ready'}`);
      const db = new Database(file, { readonly: true });
      const applied = db.prepare('SELECT hash, count(*) AS n FROM __drizzle_migrations GROUP BY hash').all() as { n: number }[];
      db.close();
      expect(applied.length, `round ${round}`).toBeGreaterThan(0);
      expect(applied.filter((row) => row.n !== 1), `round ${round}: a migration applied twice`).toEqual([]);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
