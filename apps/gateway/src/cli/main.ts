import { runCli } from './run';

// A reader that has gone away (`… | head -1`, or a pipe into a program that is not installed) is not
// a crash: what was to be printed has nowhere to go, and the exit code still says how the command went.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

/** `pnpm gateway <command>`: the admin CLI. See `pnpm gateway --help`. */
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
