import { runCli } from './run';

/** `pnpm gateway <command>`: the admin CLI. See `pnpm gateway --help`. */
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
