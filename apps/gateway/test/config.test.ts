import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_SQLITE_FILE, REPO_ROOT, encryptionKeyWarning, loadConfig, parseConfig } from '../src/config';
import { childEnv, runTs, tempDir, TEST_KEY } from './helpers';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

function dir(): string {
  const temp = tempDir();
  cleanups.push(temp.cleanup);
  return temp.dir;
}

const errorOf = (env: Record<string, string>): string => {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
};

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      production: false,
      port: 3000,
      host: '127.0.0.1',
      database: { kind: 'sqlite', file: DEFAULT_SQLITE_FILE },
      encryptionKey: null,
      meta: { appSecret: null, verifyToken: null },
      logLevel: 'info',
      rateLimits: { legacy: { perMinute: 100, perHour: 1000 }, org: { perMinute: 1000, perHour: 10_000 } },
      authFailuresPerMinute: 30,
      corsOrigins: [],
      replies: null,
    });
    expect(DEFAULT_SQLITE_FILE).toBe(join(REPO_ROOT, 'data', 'gateway.db'));
  });

  it('reads every variable', () => {
    const config = parseConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://app:secret@db:5432/gateway',
      GATEWAY_ENCRYPTION_KEY: TEST_KEY.toUpperCase(),
      META_APP_SECRET: 'app-secret',
      META_VERIFY_TOKEN: 'verify-me',
      LOG_LEVEL: 'debug',
      RATE_LIMIT_LEGACY_PER_MINUTE: '5',
      RATE_LIMIT_LEGACY_PER_HOUR: '50',
      RATE_LIMIT_ORG_PER_MINUTE: '6',
      RATE_LIMIT_ORG_PER_HOUR: '60',
      AUTH_FAILURES_PER_MINUTE: '7',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      database: { kind: 'postgres', url: 'postgres://app:secret@db:5432/gateway' },
      encryptionKey: TEST_KEY,
      meta: { appSecret: 'app-secret', verifyToken: 'verify-me' },
      logLevel: 'debug',
      rateLimits: { legacy: { perMinute: 5, perHour: 50 }, org: { perMinute: 6, perHour: 60 } },
      authFailuresPerMinute: 7,
    });
  });

  it('reads CORS_ORIGINS as exact origins, written as a browser sends them in Origin', () => {
    expect(parseConfig({ CORS_ORIGINS: 'https://app.example.com' }).corsOrigins).toEqual(['https://app.example.com']);
    expect(parseConfig({ CORS_ORIGINS: ' https://App.Example.com , http://localhost:5173,,http://[::1]:8080 ' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
      'http://[::1]:8080',
    ]);
    expect(parseConfig({ CORS_ORIGINS: 'https://a.example,https://a.example' }).corsOrigins).toEqual(['https://a.example']);
    expect(parseConfig({ CORS_ORIGINS: '' }).corsOrigins).toEqual([]);
  });

  it.each([
    ['*', 'CORS_ORIGINS: "*" is not an origin (an exact origin such as https://app.example.com; no wildcards)'],
    ['app.example.com', 'CORS_ORIGINS: "app.example.com" is not an origin (an exact origin such as https://app.example.com; no wildcards)'],
    ['https://*.example.com', 'CORS_ORIGINS: "https://*.example.com" is not an origin (an exact origin such as https://app.example.com; no wildcards)'],
    ['ftp://files.example.com', 'CORS_ORIGINS: "ftp://files.example.com" is not an origin (an exact origin such as https://app.example.com; no wildcards)'],
    ['https://app.example.com/', 'CORS_ORIGINS: "https://app.example.com/" is not an origin: write it as https://app.example.com (scheme, host and port only)'],
    ['https://app.example.com/admin', 'CORS_ORIGINS: "https://app.example.com/admin" is not an origin: write it as https://app.example.com (scheme, host and port only)'],
    ['https://app.example.com:443', 'CORS_ORIGINS: "https://app.example.com:443" is not an origin: write it as https://app.example.com (scheme, host and port only)'],
  ])('rejects CORS_ORIGINS=%s with one sentence', (value, message) => {
    expect(errorOf({ CORS_ORIGINS: `https://ok.example,${value}` })).toBe(message);
  });

  it('§8: OPENAI_API_KEY turns replies on, with the documented defaults and every reply variable read', () => {
    expect(parseConfig({ OPENAI_API_KEY: 'sk-test' }).replies).toEqual({
      apiKey: 'sk-test',
      baseUrl: 'https://api.openai.com/v1',
      defaultModel: 'gpt-5-mini',
      graph: { baseUrl: 'https://graph.facebook.com', version: 'v24.0' },
      debounceMs: 1500,
      maxWaitMs: 10_000,
      concurrency: 8,
      history: 20,
      modelTimeoutMs: 60_000,
      leaseMs: 30_000,
    });
    expect(
      parseConfig({
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: 'http://127.0.0.1:9000/v1/',
        OPENAI_DEFAULT_MODEL: 'gpt-5',
        META_GRAPH_BASE_URL: 'http://127.0.0.1:9001',
        META_GRAPH_VERSION: 'v23.0',
        REPLY_DEBOUNCE_MS: '0',
        REPLY_MAX_WAIT_MS: '5000',
        REPLY_CONCURRENCY: '2',
        REPLY_HISTORY: '5',
        REPLY_MODEL_TIMEOUT_MS: '1000',
        REPLY_LEASE_MS: '2000',
      }).replies,
    ).toEqual({
      apiKey: 'sk-test',
      baseUrl: 'http://127.0.0.1:9000/v1',
      defaultModel: 'gpt-5',
      graph: { baseUrl: 'http://127.0.0.1:9001', version: 'v23.0' },
      debounceMs: 0,
      maxWaitMs: 5000,
      concurrency: 2,
      history: 5,
      modelTimeoutMs: 1000,
      leaseMs: 2000,
    });
    expect(errorOf({ OPENAI_BASE_URL: 'ftp://x', META_GRAPH_VERSION: '24', REPLY_CONCURRENCY: '0' })).toBe(
      'OPENAI_BASE_URL must be an http:// or https:// URL; META_GRAPH_VERSION must look like v24.0; REPLY_CONCURRENCY must be an integer from 1 to 1000',
    );
  });

  it('takes an IPv6 host with or without brackets', () => {
    expect(parseConfig({ HOST: '[::1]' }).host).toBe('::1');
    expect(parseConfig({ HOST: '::' }).host).toBe('::');
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig({ PORT: '', LOG_LEVEL: '' })).toMatchObject({ port: 3000, logLevel: 'info' });
  });

  it('names SQLite files by path or file: URL, relative paths from the repository root', () => {
    expect(parseConfig({ DATABASE_URL: '/var/lib/gw.db' }).database).toEqual({ kind: 'sqlite', file: '/var/lib/gw.db' });
    expect(parseConfig({ DATABASE_URL: 'file:///var/lib/gw.db' }).database).toEqual({ kind: 'sqlite', file: '/var/lib/gw.db' });
    expect(parseConfig({ DATABASE_URL: 'file:data/other.db' }).database).toEqual({ kind: 'sqlite', file: join(REPO_ROOT, 'data/other.db') });
    expect(parseConfig({ DATABASE_URL: './x.db' }).database).toEqual({ kind: 'sqlite', file: join(REPO_ROOT, 'x.db') });
    expect(parseConfig({ DATABASE_URL: 'postgresql://localhost/gw' }).database.kind).toBe('postgres');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be an integer from 1 to 65535'],
    [{ PORT: '0' }, 'PORT must be an integer from 1 to 65535'],
    [{ PORT: '65536' }, 'PORT must be an integer from 1 to 65535'],
    [{ PORT: '80.5' }, 'PORT must be an integer from 1 to 65535'],
    [{ HOST: 'not a host' }, 'HOST must be a host name or an IP address'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ RATE_LIMIT_ORG_PER_MINUTE: '-1' }, 'RATE_LIMIT_ORG_PER_MINUTE must be an integer from 1 to 100000000'],
    [{ AUTH_FAILURES_PER_MINUTE: 'many' }, 'AUTH_FAILURES_PER_MINUTE must be an integer from 1 to 100000000'],
    [{ RATE_LIMIT_LEGACY_PER_MINUTE: '5000' }, 'RATE_LIMIT_LEGACY_PER_HOUR must be at least RATE_LIMIT_LEGACY_PER_MINUTE'],
    [{ DATABASE_URL: 'mysql://localhost/gw' }, 'DATABASE_URL must be a postgres:// URL, a file: URL or a path to a SQLite file'],
    [{ DATABASE_URL: 'file:gw.db?mode=ro' }, 'DATABASE_URL file: URLs take no query parameters'],
    [{ DATABASE_URL: ':memory:' }, 'DATABASE_URL cannot name an in-memory SQLite database: the gateway needs a file its connections share'],
  ])('rejects %o with one sentence naming the variable', (env, message) => {
    expect(errorOf(env)).toBe(message);
  });

  it('rejects an encryption key that is not 64 hex characters', () => {
    expect(errorOf({ GATEWAY_ENCRYPTION_KEY: 'abc123' })).toMatch(/^GATEWAY_ENCRYPTION_KEY must be 64 hex characters \(32 bytes\)/);
    expect(errorOf({ GATEWAY_ENCRYPTION_KEY: 'g'.repeat(64) })).toMatch(/^GATEWAY_ENCRYPTION_KEY must be 64 hex characters/);
  });

  it('reports every bad variable on the same line', () => {
    expect(errorOf({ PORT: 'x', LOG_LEVEL: 'loud' })).toBe(
      'PORT must be an integer from 1 to 65535; LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  it('requires the encryption key in production', () => {
    expect(errorOf({ NODE_ENV: 'production', DATABASE_URL: join(dir(), 'g.db') })).toMatch(
      /^GATEWAY_ENCRYPTION_KEY is required when NODE_ENV=production/,
    );
    expect(parseConfig({ NODE_ENV: 'production', GATEWAY_ENCRYPTION_KEY: TEST_KEY }).production).toBe(true);
  });

  it('generates a development key once, beside the SQLite file, readable only by its owner', () => {
    const file = join(dir(), 'gateway.db');
    const first = loadConfig({ DATABASE_URL: file });
    expect(first.encryptionKeySource).toBe('generated');
    expect(first.encryptionKey).toMatch(/^[0-9a-f]{64}$/);
    expect(first.encryptionKeyFile).toBe(`${file}.key`);
    expect(readFileSync(`${file}.key`, 'utf8').trim()).toBe(first.encryptionKey);
    expect(statSync(`${file}.key`).mode & 0o777).toBe(0o600);
    expect(encryptionKeyWarning(first)).toMatch(/^GATEWAY_ENCRYPTION_KEY is not set: generated a development key into /);

    const second = loadConfig({ DATABASE_URL: file });
    expect(second.encryptionKeySource).toBe('file');
    expect(second.encryptionKey).toBe(first.encryptionKey);
  });

  it('prefers GATEWAY_ENCRYPTION_KEY and then writes no key file', () => {
    const file = join(dir(), 'gateway.db');
    const config = loadConfig({ DATABASE_URL: file, GATEWAY_ENCRYPTION_KEY: TEST_KEY });
    expect(config).toMatchObject({ encryptionKey: TEST_KEY, encryptionKeySource: 'env', encryptionKeyFile: null });
    expect(encryptionKeyWarning(config)).toBeNull();
    expect(() => statSync(`${file}.key`)).toThrow();
  });

  it('refuses a damaged key file', () => {
    const file = join(dir(), 'gateway.db');
    writeFileSync(`${file}.key`, 'not a key\n');
    expect(() => loadConfig({ DATABASE_URL: file })).toThrow(/key file .* does not hold 64 hex characters/);
  });

  it('stops the server with one line on stderr and exit code 1', async () => {
    const run = await runTs('src/main.ts', [], childEnv({ PORT: 'abc', DATABASE_URL: join(dir(), 'g.db') }));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('config error: PORT must be an integer from 1 to 65535\n');
    expect(run.stdout).toBe('');
  });

  it('stops the server on a bad CORS origin with one line', async () => {
    const run = await runTs('src/main.ts', [], childEnv({ CORS_ORIGINS: 'https://app.example.com/', DATABASE_URL: join(dir(), 'g.db') }));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'config error: CORS_ORIGINS: "https://app.example.com/" is not an origin: write it as https://app.example.com (scheme, host and port only)\n',
    );
    expect(run.stdout).toBe('');
  });

  it('stops the server on a bad key the same way', async () => {
    const run = await runTs('src/main.ts', [], childEnv({ GATEWAY_ENCRYPTION_KEY: 'short', DATABASE_URL: join(dir(), 'g.db') }));
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(run.stderr).toMatch(/^config error: GATEWAY_ENCRYPTION_KEY must be 64 hex characters \(32 bytes\)/);
  });
});
