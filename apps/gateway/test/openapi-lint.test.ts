import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '@gateway/http/testing';
import { createGatewayApp } from '../src/app';
import { WEBHOOKS_DOC_PATH } from '../src/docs';
import { capturingLogger, GATEWAY_DIR, tempDir } from './helpers';

/**
 * The three documents the gateway serves, as served, through the linters generated clients are
 * usually held to: Redocly's recommended rules and Spectral's `spectral:oas`, neither allowed an
 * error or a warning.
 */

const DOCUMENTS = { legacy: '/v1/openapi.json', org: '/api/v1/openapi.json', webhooks: WEBHOOKS_DOC_PATH };

let gw: TestGateway;
let dir: ReturnType<typeof tempDir>;
const files: Record<string, string> = {};

beforeAll(async () => {
  gw = await createTestGateway({ storage: 'memory' });
  const app = createGatewayApp({ services: gw.services, storage: { ready: async () => true }, logger: capturingLogger().logger });
  dir = tempDir();
  for (const [name, path] of Object.entries(DOCUMENTS)) {
    const res = await app.request(path);
    expect(res.status, path).toBe(200);
    files[name] = join(dir.dir, `${name}.json`);
    writeFileSync(files[name], JSON.stringify(await res.json(), null, 2));
  }
  writeFileSync(join(dir.dir, 'spectral.yaml'), 'extends: ["spectral:oas"]\n');
});
afterAll(async () => {
  dir.cleanup();
  await gw.close();
});

const bin = (name: string) => join(GATEWAY_DIR, 'node_modules', '.bin', name);

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      // No telemetry, no update check: the machines reach no network beyond the registry.
      { cwd: dir.dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

describe.each(Object.keys(DOCUMENTS))('the %s document', (name) => {
  it('passes `redocly lint` (recommended rules) with no error and no warning', async () => {
    const { code, stdout, stderr } = await run(bin('redocly'), ['lint', files[name] as string, '--format=json']);
    const report = JSON.parse(stdout || '{}') as { totals?: { errors: number; warnings: number }; problems?: { ruleId: string; message: string }[] };
    expect(report.problems?.map((p) => `${p.ruleId}: ${p.message}`), stderr).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(code).toBe(0);
  });

  it('passes `spectral lint` with spectral:oas and no finding of any severity', async () => {
    const { code, stdout, stderr } = await run(bin('spectral'), ['lint', files[name] as string, '--ruleset', join(dir.dir, 'spectral.yaml'), '--format', 'json', '--quiet']);
    const findings = JSON.parse(stdout.trim() === '' ? '[]' : stdout) as { code: string; message: string; path: string[] }[];
    expect(findings.map((f) => `${f.code} at ${f.path.join('.')}: ${f.message}`), stderr).toEqual([]);
    expect(code).toBe(0);
  });
});
