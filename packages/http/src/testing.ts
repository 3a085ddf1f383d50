import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore, DEFAULT_PLAN_LIMITS, SCOPES, type PlanLimits, type Scope, type UnitOfWork } from '@gateway/core';
import { createMemoryUnitOfWork } from '@gateway/core/testing';
import { aesGcmCipher, apiToken, generateKeyHex, htmlSanitizer, randomIds, sha256Hasher, systemClock } from '@gateway/platform';
import type { GatewayServices, WindowLimits } from './services';

/** PostgreSQL databases of closed test gateways, ready to be emptied and used again in this process. */
const spareDatabases: { url: string; drop(): Promise<void> }[] = [];

export interface TestGatewayOptions {
  /**
   * `sqlite` uses a real database file in a fresh temporary folder; `postgres` a database of its own
   * on the `TEST_POSTGRES_URL` server, dropped on close. The default is `GATEWAY_TEST_STORAGE`, else
   * `sqlite`: the dialect and webhook suites run once on each (their package's test script).
   */
  storage?: 'sqlite' | 'memory' | 'postgres';
  plan?: 'free' | 'pro' | 'enterprise';
  planLimits?: PlanLimits;
  legacyLimits?: WindowLimits;
  orgLimits?: WindowLimits;
  authFailuresPerMinute?: number;
  /** §8: customer messages to an active agent queue a reply with these timings; unset, nobody answers. */
  replies?: { debounceMs: number; maxWaitMs: number };
}

/** The database behind a test gateway. */
export type TestDatabase = { kind: 'memory' } | { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/**
 * A whole gateway world for HTTP tests: services over real storage, and a seeded org with two users
 * (Alice owns a WhatsApp number, Bob an Instagram one), keys of every kind, and a second org.
 */
export async function createTestGateway(options: TestGatewayOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-test-'));
  let uow: UnitOfWork;
  let close = async () => {};
  let where: TestDatabase = { kind: 'memory' };
  const kind = options.storage ?? (process.env.GATEWAY_TEST_STORAGE === 'postgres' ? 'postgres' : 'sqlite');
  if (kind === 'memory') {
    uow = createMemoryUnitOfWork();
  } else if (kind === 'postgres') {
    const { openPostgresStorage } = await import('@gateway/storage');
    const { createDatabase, postgresServerUrl, truncateAll } = await import('@gateway/storage/postgres-testing');
    const server = postgresServerUrl();
    // A database a closed test gateway of this process left, emptied; else a copy of the migrated template.
    const reused = spareDatabases.pop();
    if (reused !== undefined) await truncateAll(reused.url);
    const database = reused ?? (await createDatabase(server, 'http', { migrated: true }));
    // Tests need no durability across a crash of the test server: commits do not wait for the disk.
    const url = `${database.url}?options=${encodeURIComponent('-c synchronous_commit=off')}`;
    const storage = await openPostgresStorage({ url, cipher: aesGcmCipher(generateKeyHex()), poolSize: 12 });
    uow = storage.uow;
    where = { kind: 'postgres', url: database.url };
    close = async () => {
      await storage.close();
      // Kept for this process's next test gateway; the run's globalSetup drops it at the end.
      spareDatabases.push(database);
    };
  } else {
    const { openSqliteStorage } = await import('@gateway/storage');
    const file = join(dir, 'gateway.db');
    const storage = openSqliteStorage({ file, cipher: aesGcmCipher(generateKeyHex()) });
    uow = storage.uow;
    where = { kind: 'sqlite', file };
    close = () => storage.close();
  }
  const core = createCore({
    clock: systemClock,
    ids: randomIds,
    hasher: sha256Hasher,
    html: htmlSanitizer,
    planLimits: options.planLimits ?? DEFAULT_PLAN_LIMITS,
    replies: options.replies ?? null,
  });
  const services: GatewayServices = {
    core,
    uow,
    rateLimits: {
      legacy: options.legacyLimits ?? { perMinute: 100_000, perHour: 1_000_000 },
      org: options.orgLimits ?? { perMinute: 100_000, perHour: 1_000_000 },
    },
    authFailuresPerMinute: options.authFailuresPerMinute ?? 100_000,
    reportError: (error, requestId) => {
      unexpected.push({ error, requestId });
    },
  };
  /** Unexpected errors the dialects reported; a test can assert there were none. */
  const unexpected: { error: unknown; requestId: string }[] = [];

  const org = await core.createOrg({ uow, input: { name: 'Acme', plan: options.plan ?? 'pro' } });
  const alice = await core.createUser({ uow, input: { orgId: org.id, name: 'Alice', email: 'alice@acme.test' } });
  const bob = await core.createUser({ uow, input: { orgId: org.id, name: 'Bob' } });
  const key = async (scopes: readonly Scope[] = SCOPES, userId?: string, orgId = org.id) =>
    (await core.createApiKey({ uow, input: { orgId, scopes, ...(userId ? { userId } : {}) } })).token;

  const other = await core.createOrg({ uow, input: { name: 'Other Org', plan: 'pro' } });
  const carol = await core.createUser({ uow, input: { orgId: other.id, name: 'Carol' } });

  const tokens = {
    /** Every scope, bound to no user. */
    full: await key(),
    alice: await key(SCOPES, alice.id),
    bob: await key(SCOPES, bob.id),
    other: await key(SCOPES, carol.id, other.id),
    revoked: await key(),
    expired: apiToken(),
    /** A token of the right shape that no key has. */
    unknown: apiToken(),
    withScopes: (scopes: readonly Scope[], userId?: string) => key(scopes, userId),
  };
  const revokedKey = await core.authenticate({ uow, token: tokens.revoked });
  if (revokedKey) await core.revokeApiKey({ uow, id: revokedKey.id });
  const now = systemClock.now();
  await uow.write((repos) =>
    repos.apiKeys.insert({
      id: randomIds.next('key'),
      orgId: org.id,
      userId: null,
      name: 'expired',
      scopes: [...SCOPES],
      tokenHash: sha256Hasher.hash(tokens.expired),
      lastUsedAt: null,
      expiresAt: now - 1000,
      revokedAt: null,
      createdAt: now - 10_000,
    }),
  );

  const phoneCtx = (userId: string, orgId = org.id, token = tokens.full) => ({
    uow,
    actor: { orgId, keyId: 'key_seed', keyUserId: null, scopes: new Set<Scope>(SCOPES), visibility: { orgId, ownerUserId: userId } },
    token,
  });
  const aliceNumber = await core.addPhoneNumber({
    ctx: phoneCtx(alice.id),
    input: { platform: 'whatsapp', metaPhoneNumberId: '106540352242922', accessToken: 'EAAG-alice-secret', displayName: '+1 555 0100', wabaId: '102290129340398' },
  });
  const aliceSpareNumber = await core.addPhoneNumber({
    ctx: phoneCtx(alice.id),
    input: { platform: 'whatsapp', metaPhoneNumberId: '106540352242923', accessToken: 'EAAG-alice-secret-2' },
  });
  const bobNumber = await core.addPhoneNumber({
    ctx: phoneCtx(bob.id),
    input: { platform: 'instagram', metaPhoneNumberId: '17841234567890123', accessToken: 'IGQ-bob-secret' },
  });
  const otherNumber = await core.addPhoneNumber({
    ctx: phoneCtx(carol.id, other.id),
    input: { platform: 'whatsapp', metaPhoneNumberId: '5550001112223', accessToken: 'EAAG-carol-secret' },
  });

  return {
    services,
    unexpected,
    /** Where the data is, for tests that read the database itself. */
    database: where,
    core,
    uow,
    org,
    alice,
    bob,
    other,
    carol,
    tokens,
    numbers: { alice: aliceNumber, aliceSpare: aliceSpareNumber, bob: bobNumber, other: otherNumber },
    /** Adds a number for a user straight through the core. */
    addNumber: (userId: string, metaPhoneNumberId: string, platform: 'whatsapp' | 'instagram' = 'whatsapp') =>
      core.addPhoneNumber({ ctx: phoneCtx(userId), input: { platform, metaPhoneNumberId, accessToken: 'EAAG-some-secret' } }),
    close: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type TestGateway = Awaited<ReturnType<typeof createTestGateway>>;
