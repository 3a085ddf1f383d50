/**
 * Bundles the server (src/main.ts and the workspace packages it imports) into dist/main.mjs, which
 * `pnpm start` runs on plain Node: no TypeScript loader, whose hooks thread and compiled sources
 * would otherwise stay in memory for the life of the process. Takes well under a second.
 *
 * Left outside the bundle, and loaded from node_modules at run time: better-sqlite3 (a native
 * addon), pg-native (pg's optional native driver, not installed), the API reference's browser
 * bundle (served as a file), and pino with its stream helpers (it resolves some of its files at
 * run time).
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');
// Built beside and then renamed into place, file by file, so that a server starting from dist
// meanwhile (another `pnpm start`, a test) reads either the old bundle or the new one, whole.
const staging = join(outdir, `.build-${process.pid}`);
mkdirSync(staging, { recursive: true });
await build({
  entryPoints: [join(root, 'src/main.ts')],
  outfile: join(staging, 'main.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'pg-native', '@scalar/*', 'pino', 'pino-*', 'thread-stream', 'sonic-boom'],
  // The CommonJS packages inside an ES module bundle still call require().
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const file of readdirSync(staging)) renameSync(join(staging, file), join(outdir, file));
rmSync(staging, { recursive: true, force: true });
