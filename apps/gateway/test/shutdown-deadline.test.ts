import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { childEnv, rawRequest, startServer, tempDir, TEST_KEY, type ServerProcess } from './helpers';

let server: ServerProcess | undefined;
const cleanups: (() => void)[] = [];
afterEach(() => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  cleanups.splice(0).forEach((cleanup) => cleanup());
});

it('cuts off a request still open 10 s after SIGTERM, then exits 0', async () => {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  server = await startServer(childEnv({ DATABASE_URL: join(dir, 'g.db'), GATEWAY_ENCRYPTION_KEY: TEST_KEY }));

  // A client that never finishes its request head.
  const stuck = await rawRequest(server.port);
  await stuck.send('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
  await sleep(200);

  const signalledAt = Date.now();
  server.child.kill('SIGTERM');
  const exit = await server.exited;
  const waited = Date.now() - signalledAt;

  expect(exit).toEqual({ code: 0, signal: null });
  expect(waited).toBeGreaterThanOrEqual(9_500);
  expect(waited).toBeLessThan(14_000);
  await expect(stuck.response).rejects.toThrow(/incomplete response/);
  expect(server.output()).toContain('cut off');
}, 30_000);
