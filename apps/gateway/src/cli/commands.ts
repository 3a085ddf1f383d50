import type { ParseArgsConfig } from 'node:util';
import { SCOPES, type Core, type UnitOfWork } from '@gateway/core';
import { demoJson, demoText, seedDemo } from '../demo';
import {
  CREATED_KEY_FIELDS,
  createdKeyView,
  KEY_FIELDS,
  keyView,
  ORG_FIELDS,
  orgView,
  record,
  USER_FIELDS,
  userView,
} from './views';

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
  /** What `--print FIELD` reads, one line per row: the object itself, or each item of a list. */
  rows?: readonly Record<string, unknown>[];
}

/** Option values as node:util's parseArgs gives them (no option is `multiple`). */
export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  /** The words that name it: `['orgs', 'create']`. */
  words: string[];
  usage: string;
  /** What it does, in a few words, for the help. */
  about: string;
  /** The fields `--print FIELD` may name; without them the command has no `--print`. */
  fields?: readonly string[];
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

/** An empty value is named as such: it is usually a shell variable that a failed step left empty. */
function required(values: Values, name: string): string {
  const value = text(values, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  if (value.trim() === '') throw new UsageError(`--${name} is empty`);
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
  about: 'create an org (plan free unless given)',
  fields: ORG_FIELDS,
  options: { name: { type: 'string' }, plan: { type: 'string' } },
  check: (values) => void required(values, 'name'),
  async run({ core, uow }, values) {
    const org = await core.createOrg({ uow, input: { name: required(values, 'name'), plan: text(values, 'plan') ?? 'free' } });
    const json = orgView(org);
    return { json, text: record('Org created', json) };
  },
};

const orgsList: Command = {
  words: ['orgs', 'list'],
  usage: 'orgs list',
  about: 'every org, newest first',
  fields: ORG_FIELDS,
  options: {},
  async run({ core, uow }) {
    const orgs = (await core.listOrgs({ uow })).map(orgView);
    const lines = orgs.map((o) => `  ${o.id}  ${o.plan.padEnd(10)}  ${o.created_at}  ${JSON.stringify(o.name)}`);
    return { json: { orgs }, rows: orgs, text: orgs.length === 0 ? 'No orgs.' : [`${orgs.length} org(s)`, ...lines].join('\n') };
  },
};

const usersCreate: Command = {
  words: ['users', 'create'],
  usage: 'users create --org ORG_ID --name NAME [--email EMAIL]',
  about: "create a user in an org (the email is optional and unique)",
  fields: USER_FIELDS,
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

const usersList: Command = {
  words: ['users', 'list'],
  usage: 'users list --org ORG_ID',
  about: "an org's users, newest first",
  fields: USER_FIELDS,
  options: { org: { type: 'string' } },
  check: (values) => void required(values, 'org'),
  async run({ core, uow }, values) {
    const users = (await core.listUsers({ uow, orgId: required(values, 'org') })).map(userView);
    const lines = users.map((u) => `  ${u.id}  ${u.created_at}  ${JSON.stringify(u.name)}  ${u.email ?? '-'}`);
    return { json: { users }, rows: users, text: users.length === 0 ? 'No users.' : [`${users.length} user(s)`, ...lines].join('\n') };
  },
};

const keysCreate: Command = {
  words: ['keys', 'create'],
  usage: 'keys create --org ORG_ID [--user USER_ID] --scopes SCOPE[,SCOPE...] [--name NAME] [--expires-at ISO_8601]',
  about: 'create an API key and show its token, this once (without --user it serves the whole org)',
  fields: CREATED_KEY_FIELDS,
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
  about: 'revoke a key (revoking it again changes nothing)',
  fields: KEY_FIELDS,
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
  about: "an org's keys, without their tokens",
  fields: KEY_FIELDS,
  options: { org: { type: 'string' } },
  check: (values) => void required(values, 'org'),
  async run({ core, uow }, values) {
    const keys = (await core.listApiKeys({ uow, orgId: required(values, 'org') })).map(keyView);
    const lines = keys.map(
      (k) =>
        `  ${k.id}  ${k.revoked_at !== null ? 'revoked' : 'active '}  ${k.user_id ?? '(whole org)'}  ${k.scopes.join(',')}  ${JSON.stringify(k.name)}`,
    );
    return { json: { keys }, rows: keys, text: keys.length === 0 ? 'No API keys.' : [`${keys.length} API key(s)`, ...lines].join('\n') };
  },
};

const demo: Command = {
  words: ['demo'],
  usage: 'demo',
  about: 'add a demo tenant (org, user, two numbers, a key with every scope) and print requests to try',
  options: {},
  async run({ core, uow, baseUrl }) {
    const tenant = await seedDemo(core, uow);
    return { json: demoJson(tenant), text: demoText(baseUrl, tenant) };
  },
};

export const COMMANDS: readonly Command[] = [orgsCreate, orgsList, usersCreate, usersList, keysCreate, keysRevoke, keysList, demo];

/** The words that gather several commands: `orgs`, `users`, `keys`. */
export const GROUPS: readonly string[] = [...new Set(COMMANDS.filter((c) => c.words.length > 1).map((c) => c.words[0] as string))];

/** How the CLI is run from the repository, for the help. */
const INVOCATION = 'npx -y pnpm@10.34.8 --silent gateway …, or pnpm --silent gateway … with pnpm installed';

const OPTIONS = [
  'Options:',
  '  --json         print exactly one JSON object on stdout (errors too, as {"error":{"code","message"}})',
  '  --print FIELD  print only that field of the result, one line per object (e.g. --print id, --print token)',
  '  --help         show the help of a command or a group',
];

const commandList = (commands: readonly Command[]) => commands.flatMap((c) => [`  ${c.usage}`, `      ${c.about}`]);

export function usage(): string {
  return [
    'Usage: gateway <command> [options]',
    `  (${INVOCATION})`,
    '',
    'Commands:',
    ...commandList(COMMANDS),
    '',
    ...OPTIONS,
    '',
    `Scopes: ${SCOPES.join(', ')}`,
    'The database is DATABASE_URL, as for the server (default: data/gateway.db in the repository).',
  ].join('\n');
}

/** The help of one group: its commands. */
export function groupUsage(group: string): string {
  return [`Usage: gateway ${group} <command> [options]`, '', 'Commands:', ...commandList(COMMANDS.filter((c) => c.words[0] === group)), '', ...OPTIONS].join('\n');
}

/** The help of one command. */
export function commandUsage(command: Command): string {
  const print = command.fields === undefined ? '[--json]' : '[--json | --print FIELD]';
  const lines = [`Usage: gateway ${command.usage} ${print}`, '', `  ${command.about}`];
  if (command.fields !== undefined) lines.push('', `Fields for --print: ${command.fields.join(', ')}`);
  return lines.join('\n');
}
