import { parseArgs } from 'node:util';
import { isDomainError, type DomainError } from '@gateway/core';
import type { Storage } from '@gateway/storage';
import { buildServices } from '../compose';
import { clientBaseUrl, ConfigError, encryptionKeyWarning, loadConfig, type GatewayConfig } from '../config';
import { openGatewayStorage } from '../storage';
import { COMMANDS, UsageError, usage, type Command } from './commands';

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

  if (argv.length === 0) {
    io.stderr(`${usage()}\n`);
    return 1;
  }
  if (argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    io.stdout(`${usage()}\n`);
    return 0;
  }

  const command = COMMANDS.find((c) => c.words.every((word, i) => argv[i] === word));
  if (command === undefined) {
    const words = argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ');
    return fail('usage_error', `unknown command "${words}" (run \`pnpm gateway --help\`)`);
  }

  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseCommandLine(command, argv.slice(command.words.length)));
    if (values.help === true) {
      io.stdout(`Usage: pnpm gateway ${command.usage} [--json]\n`);
      return 0;
    }
    command.check?.(values, positionals);
  } catch (error) {
    return fail('usage_error', `${(error as Error).message} (usage: pnpm gateway ${command.usage})`);
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
    io.stdout(json ? `${JSON.stringify(result.json)}\n` : `${result.text}\n`);
    return 0;
  } catch (error) {
    if (isDomainError(error)) return fail(error.code, describe(error));
    return fail('internal_error', error instanceof Error ? error.message : String(error));
  } finally {
    await storage.close();
  }
}

function parseCommandLine(command: Command, args: string[]) {
  const names = command.positionals ?? [];
  const { values, positionals } = parseArgs({
    args,
    options: { ...command.options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: names.length > 0,
    strict: true,
  });
  if (values.help !== true) {
    if (positionals.length < names.length) throw new UsageError(`${names[positionals.length]} is required`);
    if (positionals.length > names.length) throw new UsageError(`unexpected argument "${positionals[names.length]}"`);
  }
  return { values, positionals };
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
