import { parseArgs } from 'node:util';
import { isDomainError, type DomainError } from '@gateway/core';
import type { Storage } from '@gateway/storage';
import { buildServices } from '../compose';
import { clientBaseUrl, ConfigError, encryptionKeyWarning, loadConfig, type GatewayConfig } from '../config';
import { openGatewayStorage } from '../storage';
import { COMMANDS, commandUsage, GROUPS, groupUsage, UsageError, usage, type Command, type Values } from './commands';
import { plain } from './views';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

/**
 * Runs one admin command against DATABASE_URL and returns the exit code. Output: with `--json`,
 * exactly one JSON object on stdout (an error too, as `{"error":{"code","message"}}`); always, an
 * error is also one line on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const fail = (code: string, message: string, prefix = 'error'): number => {
    io.stderr(`${prefix}: ${message}\n`);
    if (json) io.stdout(`${JSON.stringify({ error: { code, message } })}\n`);
    return 1;
  };
  const help = (text: string): number => {
    io.stdout(`${text}\n`);
    return 0;
  };
  const isHelp = (word: string | undefined) => word === 'help' || word === '--help' || word === '-h';

  if (argv.length === 0) {
    io.stderr(`${usage()}\n`);
    return 1;
  }
  if (isHelp(argv[0])) return help(GROUPS.includes(argv[1] as string) ? groupUsage(argv[1] as string) : usage());

  const command = COMMANDS.find((c) => c.words.every((word, i) => argv[i] === word));
  if (command === undefined) {
    const [first, second] = argv;
    if (first !== undefined && GROUPS.includes(first)) {
      if (isHelp(second)) return help(groupUsage(first));
      const names = COMMANDS.filter((c) => c.words[0] === first).map((c) => c.words[1]);
      const what = second === undefined || second.startsWith('-') ? `"${first}" needs a command` : `unknown command "${first} ${second}"`;
      return fail('usage_error', `${what} (the ${first} commands: ${names.join(', ')})`);
    }
    const words = argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ');
    return fail('usage_error', `unknown command "${words}" (run \`gateway --help\`)`);
  }

  let values: Values;
  let positionals: string[];
  let print: string | undefined;
  try {
    ({ values, positionals } = parseCommandLine(command, argv.slice(command.words.length)));
    if (values.help === true) return help(commandUsage(command));
    print = printedField(command, values);
    command.check?.(values, positionals);
  } catch (error) {
    return fail('usage_error', `${(error as Error).message} (usage: gateway ${command.usage})`);
  }

  let config: GatewayConfig;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) return fail('config_error', error.message, 'config error');
    throw error;
  }
  if (config.encryptionKeySource === 'generated') io.stderr(`warning: ${encryptionKeyWarning(config)}\n`);

  let storage: Storage;
  try {
    storage = await openGatewayStorage(config);
  } catch (error) {
    return fail('database_error', `cannot open the database: ${(error as Error).message}`);
  }
  try {
    const { core } = buildServices(config, storage);
    const result = await command.run({ core, uow: storage.uow, baseUrl: clientBaseUrl(config) }, values, positionals);
    if (print !== undefined) {
      const field = print;
      io.stdout((result.rows ?? [result.json]).map((row) => `${plain(row[field])}\n`).join(''));
    } else {
      io.stdout(json ? `${JSON.stringify(result.json)}\n` : `${result.text}\n`);
    }
    return 0;
  } catch (error) {
    if (isDomainError(error)) return fail(error.code, describe(error));
    return fail('internal_error', error instanceof Error ? error.message : String(error));
  } finally {
    await storage.close();
  }
}

/** `--print FIELD`, checked before anything runs, so a typo in it creates nothing. */
function printedField(command: Command, values: Values): string | undefined {
  const field = values.print;
  if (typeof field !== 'string') return undefined;
  if (values.json === true) throw new UsageError('--print and --json cannot be used together');
  if (command.fields === undefined) throw new UsageError(`gateway ${command.words.join(' ')} has no --print (use --json)`);
  if (!command.fields.includes(field)) throw new UsageError(`--print must name one of ${command.fields.join(', ')}`);
  return field;
}

function parseCommandLine(command: Command, args: string[]): { values: Values; positionals: string[] } {
  const names = command.positionals ?? [];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: { ...command.options, json: { type: 'boolean' }, print: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: names.length > 0,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(parseArgsProblem(error as Error & { code?: string }));
  }
  const { values, positionals } = parsed;
  if (values.help !== true) {
    if (positionals.length < names.length) throw new UsageError(`${names[positionals.length]} is required`);
    if (positionals.length > names.length) throw new UsageError(`unexpected argument "${positionals[names.length]}"`);
  }
  // No option is declared `multiple`, so no value is a list.
  return { values: values as Values, positionals };
}

/**
 * node:util's parseArgs explains itself over several lines; a failed step here says so in one.
 * The option is named as it was typed.
 */
function parseArgsProblem(error: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (option === undefined) break;
      if (/argument missing/.test(error.message)) return `${option} needs a value`;
      // `--org --name Alice`: typically an unquoted shell variable that a failed step left empty.
      if (/ambiguous/.test(error.message)) return `${option} needs a value`;
      return `${option} takes no value`;
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      if (option !== undefined) return `unknown option ${option}`;
      break;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const argument = /'([^']*)'/.exec(error.message)?.[1];
      if (argument !== undefined) return `unexpected argument "${argument}"`;
      break;
    }
  }
  return error.message.split('\n').join(' ');
}

/** The domain's own words: every validation issue, or what was not found. */
function describe(error: DomainError): string {
  if (error.code === 'validation_failed' && error.issues.length > 0) return error.issues.map((i) => i.message).join('; ');
  if (error.code === 'not_found') {
    const what = error.entity === 'api_key' ? 'API key not found' : error.message;
    return error.id === undefined ? what : `${what}: ${error.id}`;
  }
  return error.message;
}
