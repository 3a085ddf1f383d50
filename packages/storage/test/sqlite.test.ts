import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isStorageError, type Agent, type Repositories, type StorageError } from '@gateway/core';
import { aesGcmCipher, generateKeyHex } from '@gateway/platform';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openSqliteStorage, openStorage, sqliteFileOf, type Storage } from '../src';
import { aConversation, anAgent, gate, insertAgents, seedWorld, stored, T0, W, world } from './contract/fixtures';

/** Lets this turn of the event loop end (its microtasks and ticks), so the next one begins. */
const nextTurn = () => new Promise((done) => setImmediate(done));

const dir = mkdtempSync(join(tmpdir(), 'gateway-storage-sqlite-'));
const cipher = aesGcmCipher(generateKeyHex());
let n = 0;
const freshFile = () => join(dir, `db-${++n}.sqlite`);

const opened: Storage[] = [];
function open(file = freshFile()): Storage {
  const storage = openSqliteStorage({ file, cipher });
  opened.push(storage);
  return storage;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A separate raw connection, to look at what is really in the file. */
function inspect<T>(file: string, look: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return look(db);
  } finally {
    db.close();
  }
}

const journal = JSON.parse(readFileSync(new URL('../drizzle/sqlite/meta/_journal.json', import.meta.url), 'utf8')) as {
  entries: unknown[];
};

describe('SQLite storage', () => {
  it('stores access tokens sealed with the cipher, never in plain text', async () => {
    const file = freshFile();
    const { uow } = open(file);
    await seedWorld(uow);
    const phone = world.phones[0]!;
    const sealedOf = () =>
      inspect(file, (db) => (db.prepare('SELECT access_token FROM phone_numbers WHERE id = ?').get(phone.id) as { access_token: string }).access_token);

    const sealed = sealedOf();
    expect(sealed).not.toContain(phone.accessToken);
    expect(cipher.open(sealed)).toBe(phone.accessToken);

    await uow.write((repos) => repos.phoneNumbers.update({ ...stored(phone), accessToken: 'EAAG-rotated' }));
    const rotated = sealedOf();
    expect(rotated).not.toContain('EAAG-rotated');
    expect(cipher.open(rotated)).toBe('EAAG-rotated');

    await uow.write((repos) => repos.phoneNumbers.update({ ...stored(phone), displayName: 'kept token' }));
    expect(sealedOf()).toBe(rotated);
  });

  it('applies every migration at open, reports ready, and applies none twice when reopened', async () => {
    const file = freshFile();
    const first = open(file);
    expect(await first.ready()).toBe(true);
    expect(first.kind).toBe('sqlite');
    await seedWorld(first.uow);
    await first.close();
    expect(await first.ready()).toBe(false);

    const again = open(file);
    expect(await again.ready()).toBe(true);
    expect(inspect(file, (db) => db.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get())).toEqual({ n: journal.entries.length });
    expect(await again.uow.read((repos) => repos.orgs.get(W.orgA))).toEqual(world.orgs[0]);
  });

  it('is not ready when a migration is missing from the database', async () => {
    const file = freshFile();
    const storage = open(file);
    const db = new Database(file);
    db.prepare('DELETE FROM __drizzle_migrations').run();
    db.close();
    expect(await storage.ready()).toBe(false);
  });

  it('puts the file in WAL mode', async () => {
    const file = freshFile();
    open(file);
    expect(inspect(file, (db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
  });

  it('enforces foreign keys, and a failure it cannot translate never leaks the raw SQLite error', async () => {
    const { uow } = open();
    await seedWorld(uow);
    const error: unknown = await uow
      .write((repos) => repos.conversations.insert(aConversation('conv_1', { orgId: W.orgA, phoneNumberId: W.pnA1, agentId: 'agent_missing' })))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).not.toBe('SqliteError');
    expect((error as Error).message).not.toMatch(/conversations|agent_id/);
    expect(((error as Error).cause as Error).name).toBe('SqliteError');
  });

  it('refuses a repository used after its write finished', async () => {
    const { uow } = open();
    let leaked: Repositories | undefined;
    await uow.write(async (repos) => {
      leaked = repos;
    });
    await expect(leaked!.orgs.get(W.orgA)).rejects.toThrow(/outside its transaction/);
  });

  it('close waits for the running write, then refuses new work', async () => {
    const storage = open();
    await seedWorld(storage.uow);
    const hold = gate();
    const writing = storage.uow.write(async (repos) => {
      await hold.opened;
      await repos.agents.insert(anAgent('agent_1', W.orgA));
      return 'done';
    });
    const closing = storage.close();
    hold.open();
    expect(await writing).toBe('done');
    await closing;
    await expect(storage.uow.write(async () => 'late')).rejects.toThrow('The storage is closed');
    await expect(storage.uow.read(async () => 'late')).rejects.toThrow('The storage is closed');
  });

  it('group commit: writes queued together commit together, and one that fails is undone alone', async () => {
    const file = freshFile();
    const { uow } = open(file);
    await seedWorld(uow);
    const versions: number[] = [];
    const watcher = new Database(file, { readonly: true });
    const version = () => watcher.pragma('data_version', { simple: true }) as number;
    const before = version();
    // Issued in one turn of the event loop: one group. The fifth writes a row, then fails.
    const writes = Array.from({ length: 10 }, (_, i) =>
      uow.write(async (repos) => {
        await repos.agents.insert(anAgent(`agent_g${i}`, W.orgA, { handle: `g${i}`, createdAt: T0 + i }));
        if (i === 4) throw new Error('refused after writing');
        versions.push(version());
        return i;
      }),
    );
    const outcomes = await Promise.allSettled(writes);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', ...Array(5).fill('fulfilled')]);
    expect((outcomes[4] as PromiseRejectedResult).reason).toMatchObject({ message: 'refused after writing' });
    // Nothing was visible to another connection until the group's one commit, then all of it was.
    expect(new Set(versions)).toEqual(new Set([before]));
    expect(version()).toBe(before + 1);
    watcher.close();
    const kept = await uow.read(async (repos) => Promise.all(Array.from({ length: 10 }, (_, i) => repos.agents.idExists(`agent_g${i}`))));
    expect(kept).toEqual([true, true, true, true, false, true, true, true, true, true]);
  });

  it('the read cache answers only while nothing has been committed, by this process or another', async () => {
    const file = freshFile();
    const { uow } = open(file);
    await seedWorld(uow);
    const agent = anAgent('agent_cached', W.orgA, { handle: 'cached', name: 'First', createdAt: T0 });
    await insertAgents(uow, agent);
    const read = () => uow.read((repos) => repos.agents.get({ orgId: W.orgA }, agent.id));
    const page = () => uow.read((repos) => repos.agents.list({ orgId: W.orgA }, {}, { kind: 'keyset', limit: 5, after: null }));

    const first = await read();
    expect(first?.name).toBe('First');
    // Unchanged data: the same result, shared between callers, so frozen to the last array.
    expect(await read()).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first?.tools)).toBe(true);
    expect(await page()).toBe(await page());
    // Another visibility or another page is another entry.
    expect(await uow.read((repos) => repos.agents.get({ orgId: W.orgB }, agent.id))).toBeNull();
    expect((await uow.read((repos) => repos.agents.list({ orgId: W.orgA }, {}, { kind: 'keyset', limit: 1, after: null }))).items).toHaveLength(1);

    // A commit through this storage's writer.
    await uow.write((repos) => repos.agents.update({ ...agent, name: 'Second' }));
    expect((await read())?.name).toBe('Second');
    expect((await page()).items.find((a) => a.id === agent.id)?.name).toBe('Second');

    // A commit by another process's connection to the same file (the admin CLI, a second gateway):
    // seen from the next turn of the event loop on, when the version is read again (ADR 0010).
    const other = new Database(file);
    other.prepare('UPDATE agents SET name = ? WHERE id = ?').run('Third', agent.id);
    await nextTurn();
    expect((await read())?.name).toBe('Third');
    expect((await page()).items.find((a) => a.id === agent.id)?.name).toBe('Third');

    // This process's own commit is seen at once, even by a read in the turn that checked the
    // version before the commit: here the write's own work reads first, and its caller reads
    // again as soon as the write resolves, in the same turn.
    let during: Agent | null = null;
    const after = await uow
      .write(async (repos) => {
        during = await read();
        await repos.agents.update({ ...agent, name: 'Fourth' });
      })
      .then(() => read());
    expect((during as Agent | null)?.name).toBe('Third');
    expect(after?.name).toBe('Fourth');

    other.prepare('UPDATE agents SET deleted_at = ? WHERE id = ?').run(T0 + 1, agent.id);
    other.close();
    await nextTurn();
    expect(await read()).toBeNull();
    expect((await page()).items.map((a) => a.id)).not.toContain(agent.id);
  });

  it('serves many writes quickly (one writer, WAL, prepared statements)', async () => {
    const { uow } = open();
    await seedWorld(uow);
    const started = performance.now();
    await Promise.all(Array.from({ length: 500 }, (_, i) => insertAgents(uow, anAgent(`agent_${i}`, W.orgA, { createdAt: T0 + i }))));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await uow.read((repos) => repos.agents.countLive(W.orgA))).toBe(500);
  });
});

describe('openStorage', () => {
  it('opens a plain path, creating its directory', async () => {
    const file = join(dir, 'nested', 'deeper', 'gateway.sqlite');
    const storage = await openStorage({ url: file, cipher });
    opened.push(storage);
    expect(await storage.ready()).toBe(true);
    expect(existsSync(file)).toBe(true);
  });

  it('opens a file: URL', async () => {
    const file = join(dir, 'from-url', 'gateway.sqlite');
    const storage = await openStorage({ url: pathToFileURL(file).href, cipher });
    opened.push(storage);
    expect(await storage.ready()).toBe(true);
    expect(existsSync(file)).toBe(true);
  });

  it('finds its migrations from any working directory', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const storage = await openStorage({ url: 'file:relative/gateway.sqlite', cipher });
      opened.push(storage);
      expect(await storage.ready()).toBe(true);
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(join(dir, 'relative', 'gateway.sqlite'))).toBe(true);
  });

  it.each(['postgres://gateway@127.0.0.1:1/gateway', 'postgresql://gateway@127.0.0.1:1/gateway'])(
    'a postgres URL selects PostgreSQL; an unreachable server is one line, a StorageError (unavailable): %s',
    async (url) => {
      const error: unknown = await openStorage({ url, cipher, statementTimeoutMs: 1000 }).catch((e: unknown) => e);
      expect(isStorageError(error)).toBe(true);
      expect((error as StorageError).kind).toBe('unavailable');
      expect((error as Error).message).not.toContain('\n');
    },
  );

  it('refuses an in-memory database and unknown URL schemes with a clear message', async () => {
    await expect(openStorage({ url: ':memory:', cipher })).rejects.toThrow(/needs a database file/);
    await expect(openStorage({ url: 'mysql://localhost/db', cipher })).rejects.toThrow(/not supported/);
  });
});

describe('sqliteFileOf', () => {
  it('reads file: URLs and plain paths, and says null for PostgreSQL', () => {
    expect(sqliteFileOf('file:///var/lib/gateway/db.sqlite')).toBe('/var/lib/gateway/db.sqlite');
    expect(sqliteFileOf('file:data/gateway.sqlite')).toBe('data/gateway.sqlite');
    expect(sqliteFileOf('./data/gateway.sqlite')).toBe('./data/gateway.sqlite');
    expect(sqliteFileOf('postgres://localhost/gateway')).toBeNull();
    expect(() => sqliteFileOf('file:db.sqlite?mode=ro')).toThrow(/no query/);
  });
});
