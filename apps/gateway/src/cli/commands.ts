import type { ParseArgsConfig } from 'node:util';
import { SCOPES, type Core, type UnitOfWork } from '@gateway/core';
import { demoCurls, demoJson, demoSummary, seedDemo } from '../demo';
import { createdKeyView, keyView, orgView, record, userView } from './views';

/** Thrown for a command line that cannot run; printed as one line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CommandEnv {
  core: Core;
  uow: UnitOfWork;
  /** Where the server listens, for the curl examples. */
  baseUrl: string;
}

export interface CommandResult {
  /** The one JSON object printed with --json. */
  json: Record<string, unknown>;
  /** The human-readable rendering. */
  text: string;
}

type Values = Record<string, string | boolean | undefined>;

export interface Command {
  /** The words that name it: `['orgs', 'create']`. */
  words: string[];
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Names of the positional arguments, in order. */
  positionals?: string[];
  /** Checks the arguments before any database is opened. */
  check?(values: Values, positionals: string[]): void;
  run(env: CommandEnv, values: Values, positionals: string[]): Promise<CommandResult>;
}

const text = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

function required(values: Values, name: string): string {
  const value = text(values, name);
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

function parseInstant(value: string, option: string): number {
  const millis = Date.parse(value);
  if (!ISO_8601.test(value) || Number.isNaN(millis)) {
    throw new UsageError(`--${option} must be an ISO 8601 timestamp with a zone, e.g. 2030-01-31T00:00:00Z`);
  }
  return millis;
}

const scopeList = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

const orgsCreate: Command = {
  words: ['orgs', 'create'],
  usage: 'orgs create --name NAME [--plan free|pro|enterprise]',
  options: { name: { type: 'string' }, plan: { type: 'string' } },
  check: (values) => void required(values, 'name'),
  async run({ core, uow }, values) {
    const org = await core.createOrg({ uow, input: { name: required(values, 'name'), plan: text(values, 'plan') ?? 'free' } });
    const json = orgView(org);
    return { json, text: record('Org created', json) };
  },
};

const usersCreate: Command = {
  words: ['users', 'create'],
  usage: 'users create --org ORG_ID --name NAME [--email EMAIL]',
  options: { org: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } },
  check(values) {
    required(values, 'org');
    required(values, 'name');
  },
  async run({ core, uow }, values) {
    const user = await core.createUser({
      uow,
      input: { orgId: required(values, 'org'), name: required(values, 'name'), email: text(values, 'email') ?? null },
    });
    const json = userView(user);
    return { json, text: record('User created', json) };
  },
};

const keysCreate: Command = {
  words: ['keys', 'create'],
  usage: 'keys create --org ORG_ID [--user USER_ID] --scopes SCOPE[,SCOPE...] [--name NAME] [--expires-at ISO_8601]',
  options: {
    org: { type: 'string' },
    user: { type: 'string' },
    scopes: { type: 'string' },
    name: { type: 'string' },
    'expires-at': { type: 'string' },
  },
  check(values) {
    required(values, 'org');
    if (scopeList(required(values, 'scopes')).length === 0) throw new UsageError('--scopes must name at least one scope');
    const expires = text(values, 'expires-at');
    if (expires !== undefined) parseInstant(expires, 'expires-at');
  },
  async run({ core, uow }, values) {
    const expires = text(values, 'expires-at');
    const { key, token } = await core.createApiKey({
      uow,
      input: {
        orgId: required(values, 'org'),
        userId: text(values, 'user') ?? null,
        scopes: scopeList(required(values, 'scopes')),
        ...(text(values, 'name') !== undefined ? { name: text(values, 'name') } : {}),
        expiresAt: expires === undefined ? null : parseInstant(expires, 'expires-at'),
      },
    });
    const json = createdKeyView(key, token);
    return {
      json,
      text: `${record('API key created', json)}\n\nThe token is shown only now and cannot be recovered: store it safely.`,
    };
  },
};

const keysRevoke: Command = {
  words: ['keys', 'revoke'],
  usage: 'keys revoke KEY_ID',
  options: {},
  positionals: ['KEY_ID'],
  async run({ core, uow }, _values, [id]) {
    const key = await core.revokeApiKey({ uow, id: id as string });
    const json = keyView(key);
    return { json, text: record('API key revoked', json) };
  },
};

const keysList: Command = {
  words: ['keys', 'list'],
  usage: 'keys list --org ORG_ID',
  options: { org: { type: 'string' } },
  check: (values) => void required(values, 'org'),
  async run({ core, uow }, values) {
    const keys = (await core.listApiKeys({ uow, orgId: required(values, 'org') })).map(keyView);
    const lines = keys.map(
      (k) =>
        `  ${k.id}  ${k.revoked_at !== null ? 'revoked' : 'active '}  ${k.user_id ?? '(whole org)'}  ${k.scopes.join(',')}  ${JSON.stringify(k.name)}`,
    );
    return { json: { keys }, text: keys.length === 0 ? 'No API keys.' : [`${keys.length} API key(s)`, ...lines].join('\n') };
  },
};

const demo: Command = {
  words: ['demo'],
  usage: 'demo',
  options: {},
  async run({ core, uow, baseUrl }) {
    const tenant = await seedDemo(core, uow);
    return {
      json: demoJson(tenant),
      text: `${demoSummary(tenant)}\n\nStart the server with \`pnpm start\`, then:\n\n${demoCurls(baseUrl, tenant)}`,
    };
  },
};

export const COMMANDS: readonly Command[] = [orgsCreate, usersCreate, keysCreate, keysRevoke, keysList, demo];

export function usage(): string {
  return [
    'Usage: pnpm gateway <command> [--json]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.usage}`),
    '',
    'Options:',
    '  --json   print exactly one JSON object on stdout (errors too, as {"error":{"code","message"}})',
    '  --help   show this help',
    '',
    `Scopes: ${SCOPES.join(', ')}`,
    'The database is DATABASE_URL, as for the server (default: data/gateway.db in the repository).',
  ].join('\n');
}
