import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv, REPO_DIR, startServer, tempDir, TEST_KEY, type ServerProcess } from './helpers';

/**
 * The README's commands work as written on a machine with Node, npm, a POSIX shell and curl: no bare
 * `pnpm`, no `jq`; and its own-org walk-through runs to the end under `set -e`.
 */

const README = readFileSync(join(REPO_DIR, 'README.md'), 'utf8');

/** The ```sh blocks of a part of the README. */
const shellBlocks = (text: string) => [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);

/** The README's part that starts at `heading` and runs to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = README.indexOf(`${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(heading)?.[0].length as number;
  const rest = README.slice(start + heading.length);
  const next = new RegExp(`\\n#{1,${level}} `).exec(rest);
  return rest.slice(0, next ? next.index : undefined);
}

describe('the README', () => {
  it('needs no pnpm and no jq: every command runs pnpm through npx, pinned', () => {
    const lines = shellBlocks(README).flatMap((block) => block.split('\n'));
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(line, line).not.toMatch(/(^|[\s($|&;])pnpm\s/);
      expect(line, line).not.toMatch(/\bjq\b/);
      if (line.includes('pnpm')) expect(line, line).toMatch(/npx -y pnpm@10\.34\.8 /);
    }
    expect(README).not.toMatch(/\bjq\b/);
  });

  describe('"Your own org, user and key", pasted as written', () => {
    const cleanups: (() => void)[] = [];
    let server: ServerProcess | undefined;
    afterAll(() => {
      if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
      cleanups.splice(0).forEach((cleanup) => cleanup());
    });

    it('runs to the end under set -e, and both dialects then list what it made', async () => {
      const { dir, cleanup } = tempDir();
      cleanups.push(cleanup);
      const env = childEnv({ DATABASE_URL: join(dir, 'g.db'), GATEWAY_ENCRYPTION_KEY: TEST_KEY });
      server = await startServer(env);

      const blocks = shellBlocks(section('### Your own org, user and key'));
      const script = blocks.join('\n');
      // The one line the README asks to change for another port.
      expect(script).toContain('GATEWAY=http://127.0.0.1:3000\n');
      const file = join(dir, 'walk.sh');
      const results = join(dir, 'results');
      writeFileSync(
        file,
        `set -e\n${script.replace('GATEWAY=http://127.0.0.1:3000', `GATEWAY=http://127.0.0.1:${server.port}`)}\nprintf '%s\\n' "$ORG" "$USR" "$TOKEN" "$PN" > '${results}'\n`,
      );
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
        execFile('sh', [file], { cwd: REPO_DIR, env }, (error, stdout, stderr) =>
          done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
        ),
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);

      const [org, user, token, phone] = readFileSync(results, 'utf8').split('\n');
      expect(org).toMatch(/^org_[0-9a-f]{24}$/);
      expect(user).toMatch(/^usr_[0-9a-f]{24}$/);
      expect(token).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
      expect(phone).toMatch(/^pn_[0-9a-f]{24}$/);

      const base = `http://127.0.0.1:${server.port}`;
      const orgAgents = (await (await fetch(`${base}/api/v1/agents`, { headers: { Authorization: `Bearer ${token}` } })).json()) as {
        data: { handle: string; phone_number_id: string | null }[];
      };
      expect(orgAgents.data.map((a) => a.handle).sort()).toEqual(['customerSupportAgent', 'wismo']);
      const legacyAgents = (await (await fetch(`${base}/v1/users/${user}/agents`, { headers: { 'x-api-key': token as string } })).json()) as {
        agents: { name: string; phone_number_id: string }[];
      };
      expect(legacyAgents.agents).toEqual([expect.objectContaining({ name: 'Customer Support Agent', phone_number_id: phone })]);

      // What the README says of WISMO: its move onto Alice's number is a conflict (R1).
      const wismo = orgAgents.data.find((a) => a.handle === 'wismo') as unknown as { id: string };
      const move = await fetch(`${base}/api/v1/agents/${wismo.id}`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ phone_number_id: phone }),
      });
      expect(move.status).toBe(409);
      expect(await move.json()).toMatchObject({ error: { code: 'phone_number_in_use' } });
      expect(section('### Your own org, user and key')).toContain('409 phone_number_in_use');
    }, 420_000);
  });
});
