import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { WindowLimits } from '@gateway/http';
import { generateKeyHex } from '@gateway/platform';

/**
 * Configuration from the environment (contract §6). Everything is validated up front: a bad value
 * stops start-up with one line naming the variable, never a stack trace.
 */

/**
 * The repository root, found from this file rather than the working directory. The server's bundle
 * (apps/gateway/dist/main.mjs, see scripts/build.mjs) sits at the same depth as this file.
 */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_SQLITE_FILE = join(REPO_ROOT, 'data', 'gateway.db');

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type DatabaseConfig =
  /** `file` is an absolute path. */
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string };

export interface GatewayConfig {
  production: boolean;
  port: number;
  host: string;
  database: DatabaseConfig;
  /** PostgreSQL's pool: `DATABASE_POOL_SIZE` (10) and `DATABASE_STATEMENT_TIMEOUT_MS` (5000). */
  databasePool: { size: number; statementTimeoutMs: number };
  /** `REDIS_URL`: rate-limit counters shared through Redis; null counts in PostgreSQL (or, on SQLite, in memory). */
  redisUrl: string | null;
  /** `API_KEY_CACHE_TTL_MS` (1000): how long an instance trusts a key it authenticated; 0 reads it every time. */
  apiKeyCacheTtlMs: number;
  /** 64 hex characters: the AES-256-GCM key for stored access tokens. */
  encryptionKey: string;
  /** Where the key came from; `file` and `generated` happen only outside production. */
  encryptionKeySource: 'env' | 'file' | 'generated';
  encryptionKeyFile: string | null;
  meta: { appSecret: string | null; verifyToken: string | null };
  logLevel: LogLevel;
  rateLimits: { legacy: WindowLimits; org: WindowLimits };
  authFailuresPerMinute: number;
  /** `GATEWAY_DEMO=1`: seed the demo tenant at start-up when the database has no org yet. */
  demo: boolean;
  /** `CORS_ORIGINS`: the exact origins (`https://app.example.com`) whose browser pages may call both dialects; empty, CORS is off. */
  corsOrigins: string[];
  /** The reply runtime (§8); null without `OPENAI_API_KEY`: messages are stored and nobody answers. */
  replies: ReplyConfig | null;
}

export interface ReplyConfig {
  /** `OPENAI_API_KEY`. Never logged. */
  apiKey: string;
  /** `OPENAI_BASE_URL` (`https://api.openai.com/v1`). */
  baseUrl: string;
  /** `OPENAI_DEFAULT_MODEL` (`gpt-5-mini`). */
  defaultModel: string;
  /** `META_GRAPH_BASE_URL` (`https://graph.facebook.com`) and `META_GRAPH_VERSION` (`v24.0`). */
  graph: { baseUrl: string; version: string };
  /** `REPLY_DEBOUNCE_MS` (1500) and `REPLY_MAX_WAIT_MS` (10000). */
  debounceMs: number;
  maxWaitMs: number;
  /** `REPLY_CONCURRENCY` (8): turns one instance answers at once. */
  concurrency: number;
  /** `REPLY_HISTORY` (20): the latest messages the model sees. */
  history: number;
  /** `REPLY_MODEL_TIMEOUT_MS` (60000). */
  modelTimeoutMs: number;
  /** `REPLY_LEASE_MS` (30000): how long a turn stays with its worker without a renewal; after a crash, how long until another instance takes it. */
  leaseMs: number;
}

export const META_GRAPH_VERSION = 'v24.0';

/** A configuration problem; its message is the one line printed before exiting. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const KEY_HEX = /^[0-9a-fA-F]{64}$/;
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.:%-]+)$/;
const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

const integer = (name: string, fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return fallback;
      const value = Number(raw);
      if (!/^[0-9]+$/.test(raw) || value < min || value > max) {
        ctx.addIssue(`${name} must be an integer from ${min} to ${max}`);
        return z.NEVER;
      }
      return value;
    });

const optionalText = z.string().optional().transform((value) => value ?? null);

const LIMIT_MAX = 100_000_000;

const EnvSchema = z.object({
  NODE_ENV: z.string().optional(),
  PORT: integer('PORT', 3000, 1, 65535),
  HOST: z
    .string()
    .regex(HOST, 'HOST must be a host name or an IP address')
    .default('127.0.0.1'),
  DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: integer('DATABASE_POOL_SIZE', 10, 1, 1000),
  DATABASE_STATEMENT_TIMEOUT_MS: integer('DATABASE_STATEMENT_TIMEOUT_MS', 5000, 100, 600_000),
  REDIS_URL: z
    .string()
    .refine((raw) => /^rediss?:\/\//.test(raw) && URL.canParse(raw), 'REDIS_URL must be a redis:// or rediss:// URL')
    .optional(),
  API_KEY_CACHE_TTL_MS: integer('API_KEY_CACHE_TTL_MS', 1000, 0, 60_000),
  GATEWAY_ENCRYPTION_KEY: z
    .string()
    .regex(KEY_HEX, 'GATEWAY_ENCRYPTION_KEY must be 64 hex characters (32 bytes); make one with `openssl rand -hex 32`')
    .optional(),
  META_APP_SECRET: optionalText,
  META_VERIFY_TOKEN: optionalText,
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  RATE_LIMIT_LEGACY_PER_MINUTE: integer('RATE_LIMIT_LEGACY_PER_MINUTE', 100, 1, LIMIT_MAX),
  RATE_LIMIT_LEGACY_PER_HOUR: integer('RATE_LIMIT_LEGACY_PER_HOUR', 1000, 1, LIMIT_MAX),
  RATE_LIMIT_ORG_PER_MINUTE: integer('RATE_LIMIT_ORG_PER_MINUTE', 1000, 1, LIMIT_MAX),
  RATE_LIMIT_ORG_PER_HOUR: integer('RATE_LIMIT_ORG_PER_HOUR', 10_000, 1, LIMIT_MAX),
  AUTH_FAILURES_PER_MINUTE: integer('AUTH_FAILURES_PER_MINUTE', 30, 1, LIMIT_MAX),
  GATEWAY_DEMO: z
    .enum(['1', '0', 'true', 'false'], { error: 'GATEWAY_DEMO must be 1 or 0' })
    .optional()
    .transform((value) => value === '1' || value === 'true'),
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: z
    .string()
    .refine((raw) => /^https?:\/\//.test(raw) && URL.canParse(raw), 'OPENAI_BASE_URL must be an http:// or https:// URL')
    .default('https://api.openai.com/v1'),
  OPENAI_DEFAULT_MODEL: z.string().regex(/^[\w.:\/-]{1,128}$/, 'OPENAI_DEFAULT_MODEL must be a model name').default('gpt-5-mini'),
  META_GRAPH_BASE_URL: z
    .string()
    .refine((raw) => /^https?:\/\//.test(raw) && URL.canParse(raw), 'META_GRAPH_BASE_URL must be an http:// or https:// URL')
    .default('https://graph.facebook.com'),
  META_GRAPH_VERSION: z.string().regex(/^v\d+\.\d+$/, 'META_GRAPH_VERSION must look like v24.0').default(META_GRAPH_VERSION),
  REPLY_DEBOUNCE_MS: integer('REPLY_DEBOUNCE_MS', 1500, 0, 600_000),
  REPLY_MAX_WAIT_MS: integer('REPLY_MAX_WAIT_MS', 10_000, 0, 3_600_000),
  REPLY_CONCURRENCY: integer('REPLY_CONCURRENCY', 8, 1, 1000),
  REPLY_HISTORY: integer('REPLY_HISTORY', 20, 1, 1000),
  REPLY_MODEL_TIMEOUT_MS: integer('REPLY_MODEL_TIMEOUT_MS', 60_000, 100, 600_000),
  REPLY_LEASE_MS: integer('REPLY_LEASE_MS', 30_000, 200, 3_600_000),
  CORS_ORIGINS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const origins: string[] = [];
      for (const entry of (raw ?? '').split(',').map((o) => o.trim())) {
        if (entry === '') continue;
        const problem = originProblem(entry);
        if (problem !== null) {
          ctx.addIssue(`CORS_ORIGINS: ${problem}`);
          return z.NEVER;
        }
        origins.push(new URL(entry).origin);
      }
      return [...new Set(origins)];
    }),
});

/**
 * Why an entry of CORS_ORIGINS is not an origin as a browser sends it in `Origin`
 * (`https://app.example.com`, `http://localhost:5173`), or null when it is one.
 */
function originProblem(entry: string): string | null {
  const url = URL.canParse(entry) ? new URL(entry) : null;
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || entry.includes('*')) {
    return `"${entry}" is not an origin (an exact origin such as https://app.example.com; no wildcards)`;
  }
  if (url.origin.toLowerCase() !== entry.toLowerCase()) {
    return `"${entry}" is not an origin: write it as ${url.origin} (scheme, host and port only)`;
  }
  return null;
}

type ParsedConfig = Omit<GatewayConfig, 'encryptionKey' | 'encryptionKeySource' | 'encryptionKeyFile'> & {
  encryptionKey: string | null;
};

/**
 * Validates the environment without touching the disk. Empty variables count as unset. Every
 * problem is reported, joined on one line.
 */
export function parseConfig(env: Env): ParsedConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = EnvSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => issue.message).join('; '));
  }
  const vars = result.data;
  const production = vars.NODE_ENV === 'production';
  if (production && vars.GATEWAY_ENCRYPTION_KEY === undefined) {
    throw new ConfigError(
      'GATEWAY_ENCRYPTION_KEY is required when NODE_ENV=production (64 hex characters; make one with `openssl rand -hex 32`)',
    );
  }
  if (vars.RATE_LIMIT_LEGACY_PER_HOUR < vars.RATE_LIMIT_LEGACY_PER_MINUTE) {
    throw new ConfigError('RATE_LIMIT_LEGACY_PER_HOUR must be at least RATE_LIMIT_LEGACY_PER_MINUTE');
  }
  if (vars.RATE_LIMIT_ORG_PER_HOUR < vars.RATE_LIMIT_ORG_PER_MINUTE) {
    throw new ConfigError('RATE_LIMIT_ORG_PER_HOUR must be at least RATE_LIMIT_ORG_PER_MINUTE');
  }
  return {
    production,
    port: vars.PORT,
    // `[::1]` is how a URL writes an IPv6 address; listen() wants it bare.
    host: vars.HOST.replace(/^\[(.*)\]$/, '$1'),
    database: parseDatabaseUrl(vars.DATABASE_URL),
    databasePool: { size: vars.DATABASE_POOL_SIZE, statementTimeoutMs: vars.DATABASE_STATEMENT_TIMEOUT_MS },
    redisUrl: vars.REDIS_URL ?? null,
    apiKeyCacheTtlMs: vars.API_KEY_CACHE_TTL_MS,
    encryptionKey: vars.GATEWAY_ENCRYPTION_KEY?.toLowerCase() ?? null,
    meta: { appSecret: vars.META_APP_SECRET, verifyToken: vars.META_VERIFY_TOKEN },
    logLevel: vars.LOG_LEVEL,
    rateLimits: {
      legacy: { perMinute: vars.RATE_LIMIT_LEGACY_PER_MINUTE, perHour: vars.RATE_LIMIT_LEGACY_PER_HOUR },
      org: { perMinute: vars.RATE_LIMIT_ORG_PER_MINUTE, perHour: vars.RATE_LIMIT_ORG_PER_HOUR },
    },
    authFailuresPerMinute: vars.AUTH_FAILURES_PER_MINUTE,
    demo: vars.GATEWAY_DEMO,
    corsOrigins: vars.CORS_ORIGINS,
    replies:
      vars.OPENAI_API_KEY === null
        ? null
        : {
            apiKey: vars.OPENAI_API_KEY,
            baseUrl: vars.OPENAI_BASE_URL.replace(/\/+$/, ''),
            defaultModel: vars.OPENAI_DEFAULT_MODEL,
            graph: { baseUrl: vars.META_GRAPH_BASE_URL.replace(/\/+$/, ''), version: vars.META_GRAPH_VERSION },
            debounceMs: vars.REPLY_DEBOUNCE_MS,
            maxWaitMs: vars.REPLY_MAX_WAIT_MS,
            concurrency: vars.REPLY_CONCURRENCY,
            history: vars.REPLY_HISTORY,
            modelTimeoutMs: vars.REPLY_MODEL_TIMEOUT_MS,
            leaseMs: vars.REPLY_LEASE_MS,
          },
  };
}

/**
 * `postgres://` or `postgresql://` selects PostgreSQL; a `file:` URL or a plain path names the
 * SQLite file. Relative paths are taken from the repository root, so every working directory
 * means the same file.
 */
export function parseDatabaseUrl(raw: string | undefined): DatabaseConfig {
  if (raw === undefined) return { kind: 'sqlite', file: DEFAULT_SQLITE_FILE };
  const scheme = URL_SCHEME.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    if (!URL.canParse(raw)) throw new ConfigError('DATABASE_URL is not a valid postgres:// URL');
    return { kind: 'postgres', url: raw };
  }
  if (scheme !== undefined && scheme !== 'file') {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL, a file: URL or a path to a SQLite file');
  }
  if (raw.startsWith('file:')) {
    if (raw.includes('?')) throw new ConfigError('DATABASE_URL file: URLs take no query parameters');
    let file: string;
    try {
      file = raw.startsWith('file://') ? fileURLToPath(raw) : decodeURIComponent(raw.slice('file:'.length));
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid file: URL');
    }
    return sqliteFile(file);
  }
  return sqliteFile(raw);
}

function sqliteFile(path: string): DatabaseConfig {
  if (path === '') throw new ConfigError('DATABASE_URL names no SQLite file');
  if (path === ':memory:' || path.startsWith(':memory:')) {
    throw new ConfigError('DATABASE_URL cannot name an in-memory SQLite database: the gateway needs a file its connections share');
  }
  return { kind: 'sqlite', file: isAbsolute(path) ? path : resolve(REPO_ROOT, path) };
}

/** Where a development key is kept: beside the SQLite file, or under `data/` for PostgreSQL. */
export function keyFileFor(database: DatabaseConfig): string {
  return database.kind === 'postgres' ? join(REPO_ROOT, 'data', 'gateway.key') : `${database.file}.key`;
}

/**
 * The whole configuration: the environment, plus, outside production and without
 * GATEWAY_ENCRYPTION_KEY, a key read from (or generated into) the key file. Callers say so with
 * {@link encryptionKeyWarning}.
 */
export function loadConfig(env: Env): GatewayConfig {
  const parsed = parseConfig(env);
  if (parsed.encryptionKey !== null) {
    return { ...parsed, encryptionKey: parsed.encryptionKey, encryptionKeySource: 'env', encryptionKeyFile: null };
  }
  const file = keyFileFor(parsed.database);
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (!KEY_HEX.test(stored)) {
      throw new ConfigError(`GATEWAY_ENCRYPTION_KEY is not set and the key file ${file} does not hold 64 hex characters`);
    }
    return { ...parsed, encryptionKey: stored.toLowerCase(), encryptionKeySource: 'file', encryptionKeyFile: file };
  }
  const key = generateKeyHex();
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadConfig(env);
    throw new ConfigError(`GATEWAY_ENCRYPTION_KEY is not set and the key file ${file} cannot be written (${(error as Error).message})`);
  }
  return { ...parsed, encryptionKey: key, encryptionKeySource: 'generated', encryptionKeyFile: file };
}

/** The warning a development key deserves, or null when the key came from the environment. */
export function encryptionKeyWarning(config: GatewayConfig): string | null {
  switch (config.encryptionKeySource) {
    case 'env':
      return null;
    case 'generated':
      return `GATEWAY_ENCRYPTION_KEY is not set: generated a development key into ${config.encryptionKeyFile} (set GATEWAY_ENCRYPTION_KEY in production)`;
    case 'file':
      return `GATEWAY_ENCRYPTION_KEY is not set: using the development key in ${config.encryptionKeyFile} (set GATEWAY_ENCRYPTION_KEY in production)`;
  }
}

/** Prints a configuration error as one line and exits 1; anything else is rethrown. */
export function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`config error: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

/** The URL a client on this machine reaches the server at: a wildcard address becomes 127.0.0.1. */
export function clientBaseUrl(config: Pick<GatewayConfig, 'host' | 'port'>): string {
  const host = config.host === '0.0.0.0' || config.host === '::' || config.host === '[::]' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${config.port}`;
}

/**
 * The command line: `--demo` only (as `GATEWAY_DEMO=1`). A `--` is skipped, however pnpm passes
 * `pnpm start -- --demo` along.
 */
export function parseStartArgs(argv: readonly string[]): { demo: boolean } {
  let demo = false;
  for (const arg of argv) {
    if (arg === '--demo') demo = true;
    else if (arg !== '--') throw new Error(`unknown argument "${arg}" (the only option is --demo)`);
  }
  return { demo };
}
