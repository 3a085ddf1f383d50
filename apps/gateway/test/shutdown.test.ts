import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SCOPES } from '@gateway/core';
import { buildServices } from '../src/compose';
import { parseConfig } from '../src/config';
import { openGatewayStorage } from '../src/storage';
import { childEnv, rawRequest, startServer, tempDir, TEST_KEY, type ServerProcess } from './helpers';

const cleanups: (() => void)[] = [];
let server: ServerProcess | undefined;
afterEach(() => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  server = undefined;
  cleanups.splice(0).forEach((cleanup) => cleanup());
});

/** A database with one org and a key of every scope, made before the server starts. */
async function seededDatabase() {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const file = join(dir, 'gateway.db');
  const storage = await openGatewayStorage({ database: { kind: 'sqlite', file }, encryptionKey: TEST_KEY });
  const { core } = buildServices(parseConfig({}), storage);
  const org = await core.createOrg({ uow: storage.uow, input: { name: 'Acme', plan: 'enterprise' } });
  const { token } = await core.createApiKey({ uow: storage.uow, input: { orgId: org.id, scopes: [...SCOPES] } });
  await storage.close();
  return { token, env: childEnv({ DATABASE_URL: file, GATEWAY_ENCRYPTION_KEY: TEST_KEY }) };
}

const refused = (port: number) =>
  new Promise<string>((done) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
  });

describe('graceful shutdown', () => {
  it('on SIGTERM stops accepting, finishes every request in flight, closes the database and exits 0', async () => {
    const { env } = await seededDatabase();
    server = await startServer(env);

    // Many requests the server has started to receive: each has sent part of its head, so each is
    // in flight (not an idle connection) when the signal arrives.
    const paths = ['/healthz', '/readyz', '/nowhere', '/api/v1/agents', '/v1/users/usr_1/agents'];
    const requests = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const request = await rawRequest(server!.port);
        await request.send(`GET ${paths[i % paths.length]} HTTP/1.1\r\nHost: localhost\r\n`);
        return request;
      }),
    );
    await sleep(200);

    server.child.kill('SIGTERM');
    await sleep(300);
    expect(server.child.exitCode).toBeNull();
    expect(await refused(server.port)).toBe('ECONNREFUSED');
    expect(requests.some((r) => r.receivedAnything())).toBe(false);

    await Promise.all(requests.map((r) => r.send('Accept: application/json\r\n\r\n')));
    const responses = await Promise.all(requests.map((r) => r.response));
    responses.forEach((response, i) => {
      const path = paths[i % paths.length];
      if (path === '/healthz') expect(response.status).toBe(200);
      if (path === '/readyz') expect(JSON.parse(response.body)).toEqual({ status: 'ready' });
      expect(response.status).toBeLessThan(500);
      expect(() => JSON.parse(response.body)).not.toThrow();
    });

    expect(await server.exited).toEqual({ code: 0, signal: null });
    const log = server.output();
    expect(log).toContain('"signal":"SIGTERM"');
    expect(log).toContain('"msg":"stopped"');
    expect(log).not.toContain('cut off');
  }, 30_000);

  it('finishes a POST whose body is still streaming when SIGTERM arrives', async () => {
    const { token, env } = await seededDatabase();
    server = await startServer(env);
    const headers = `Host: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n`;
    const body = JSON.stringify({ handle: 'wismo', name: 'WISMO', instructions: 'Answer Where Is My Order questions.' });

    // Only a route that reads its body keeps a request open while the body streams.
    const probe = await rawRequest(server.port);
    await probe.send(`POST /api/v1/agents HTTP/1.1\r\n${headers}Content-Length: 2\r\nConnection: close\r\n\r\n{}`);
    const probed = await probe.response;
    // An empty object reaches the route's own validation: the route reads bodies.
    expect(probed.status).toBe(422);

    const slow = await rawRequest(server.port);
    const half = Math.floor(body.length / 2);
    await slow.send(`POST /api/v1/agents HTTP/1.1\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`);
    await sleep(300);
    expect(slow.receivedAnything()).toBe(false);

    server.child.kill('SIGTERM');
    await sleep(300);
    expect(server.child.exitCode).toBeNull();
    expect(slow.receivedAnything()).toBe(false);

    const bodyEndedAt = Date.now();
    await slow.send(body.slice(half));
    const response = await slow.response;
    expect(response.firstByteAt).toBeGreaterThanOrEqual(bodyEndedAt);
    expect(response.status).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({ data: { handle: 'wismo' } });
    expect(await server.exited).toEqual({ code: 0, signal: null });
  }, 30_000);
});
