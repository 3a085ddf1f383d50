import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '@gateway/http';
import { createTestGateway, type TestGateway } from '@gateway/http/testing';
import { createGatewayApp } from '../src/app';
import { createLogger } from '../src/logger';
import { listen, type HttpServer } from '../src/server';
import { APP_SECRET, VERIFY_TOKEN } from './webhooks/helpers';

/**
 * Answers given before the request body was read (413 on its declared length, 401, 415, 404, 405,
 * …), over real sockets: every client gets its answer, and either the connection stays usable for
 * the next request or the answer said `Connection: close` and could be read in full before the
 * server closed.
 */

let gw: TestGateway;
let server: HttpServer;
let agentId: string;

beforeAll(async () => {
  gw = await createTestGateway();
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const app = createGatewayApp({
    services: gw.services,
    storage: { ready: async () => true },
    logger: createLogger('error', sink),
    meta: { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN },
  });
  server = await listen(app.fetch, { host: '127.0.0.1', port: 0 });
  const made = await app.request('/api/v1/agents', {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.tokens.full}`, 'content-type': 'application/json' },
    body: JSON.stringify({ handle: 'bodies', name: 'Bodies', instructions: 'Answer questions about orders.' }),
  });
  agentId = ((await made.json()) as { data: { id: string } }).data.id;
});

afterAll(async () => {
  await server.shutdown(1_000);
  await gw.close();
});

const legacy = () => ({ 'x-api-key': gw.tokens.full, 'content-type': 'application/json' });
const org = () => ({ authorization: `Bearer ${gw.tokens.full}`, 'content-type': 'application/json' });

/** A JSON object of exactly `size` bytes: `fields` padded with spaces. */
function jsonOfSize(size: number, fields: Record<string, unknown> = {}): Buffer {
  const json = JSON.stringify(fields);
  return Buffer.concat([Buffer.from(json.slice(0, -1)), Buffer.alloc(size - Buffer.byteLength(json), ' '), Buffer.from('}')]);
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Whether the request went over a connection an earlier request had used. */
  reused: boolean;
}

/** One request through a keep-alive pool of a single connection, as an HTTP client library sends it. */
function send(pool: http.Agent, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer, chunked = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: server.port, method, path, agent: pool, headers: { ...headers, ...(body && !chunked ? { 'content-length': String(body.length) } : {}) } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text, reused: request.reusedSocket }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    if (body) request.write(body);
    request.end();
  });
}

const pool = () => new http.Agent({ keepAlive: true, maxSockets: 1 });

/** The next request on the same pooled connection works, or the previous answer said the connection was closing. */
async function expectNextRequestWorks(agent: http.Agent, previous: Answer) {
  const next = await send(agent, 'GET', '/healthz');
  expect(next.status).toBe(200);
  expect(JSON.parse(next.body)).toEqual({ status: 'ok' });
  expect(next.reused).toBe(previous.headers.connection !== 'close');
}

const LEGACY_413 = { error: 'Payload Too Large', message: 'Request body must be at most 1 MiB', correlation_id: expect.any(String), timestamp: expect.any(String) };
const ORG_413 = { error: { code: 'payload_too_large', message: 'Request body must be at most 1 MiB', request_id: expect.any(String) } };

describe('1 MiB + 1 through a keep-alive pool', () => {
  const cases = () =>
    [
      ['legacy POST', 'POST', `/v1/users/${gw.alice.id}/phone_numbers`, legacy(), LEGACY_413],
      ['legacy PATCH', 'PATCH', `/v1/users/${gw.alice.id}/phone_numbers/${gw.numbers.alice.id}`, legacy(), LEGACY_413],
      ['org POST', 'POST', '/api/v1/agents', org(), ORG_413],
      ['org PATCH', 'PATCH', `/api/v1/agents/${agentId}`, org(), ORG_413],
      ['webhook POST', 'POST', '/webhooks/meta', { 'content-type': 'application/json' }, ORG_413],
    ] as const;

  it('with Content-Length: each gets its 413 in its own shape, and the connection serves the next request', async () => {
    for (const [name, method, path, headers, shape] of cases()) {
      const agent = pool();
      const answer = await send(agent, method, path, headers, jsonOfSize(MAX_BODY_BYTES + 1));
      expect({ name, status: answer.status, body: JSON.parse(answer.body) }).toEqual({ name, status: 413, body: shape });
      expect(answer.headers.connection).toBe('keep-alive');
      await expectNextRequestWorks(agent, answer);
      agent.destroy();
    }
  });

  it('chunked, with no length declared: each gets its 413, which says Connection: close, and the pool opens a new connection', async () => {
    for (const [name, method, path, headers, shape] of cases()) {
      const agent = pool();
      const answer = await send(agent, method, path, headers, jsonOfSize(MAX_BODY_BYTES + 1), true);
      expect({ name, status: answer.status, body: JSON.parse(answer.body) }).toEqual({ name, status: 413, body: shape });
      expect(answer.headers.connection).toBe('close');
      await expectNextRequestWorks(agent, answer);
      agent.destroy();
    }
  });

  it('exactly 1 MiB is still accepted, and the connection is reused', async () => {
    const agent = pool();
    const body = jsonOfSize(MAX_BODY_BYTES, { platform: 'whatsapp', meta_phone_number_id: '930000000001', access_token: 'EAAG-secret', display_name: 'Exactly' });
    expect(body.length).toBe(MAX_BODY_BYTES);
    const made = await send(agent, 'POST', `/v1/users/${gw.alice.id}/phone_numbers`, legacy(), body);
    expect(made.status).toBe(201);
    expect(JSON.parse(made.body)).toMatchObject({ display_name: 'Exactly' });
    await expectNextRequestWorks(agent, made);
    agent.destroy();
  });

  it('fetch (undici, keep-alive by default) gets the 413, and its next POST, which it would not retry, succeeds', async () => {
    const url = `${server.url}/api/v1/agents`;
    const res = await fetch(url, { method: 'POST', headers: org(), body: jsonOfSize(MAX_BODY_BYTES + 1) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual(ORG_413);
    const next = await fetch(url, { method: 'POST', headers: org(), body: JSON.stringify({ handle: 'afterTooLarge', name: 'After', instructions: 'Answer questions.' }) });
    expect(next.status).toBe(201);
  });

  it('fetch of an 8 MiB body gets its whole 413, told Connection: close', async () => {
    const res = await fetch(`${server.url}/v1/users/${gw.alice.id}/phone_numbers`, { method: 'POST', headers: legacy(), body: jsonOfSize(8 * MAX_BODY_BYTES) });
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    expect(await res.json()).toEqual(LEGACY_413);
  });
});

describe('early errors with a large body behave the same', () => {
  const big = () => jsonOfSize(MAX_BODY_BYTES + 512 * 1024, { name: 'x' });
  const cases = () =>
    [
      ['legacy 401', 'POST', `/v1/users/${gw.alice.id}/agents`, { 'content-type': 'application/json' }, 401],
      ['org 401', 'PATCH', `/api/v1/agents/${agentId}`, { 'content-type': 'application/json' }, 401],
      ['legacy 415', 'POST', `/v1/users/${gw.alice.id}/agents`, { ...legacy(), 'content-type': 'text/plain' }, 415],
      ['org 415', 'POST', '/api/v1/agents', { ...org(), 'content-type': 'text/plain' }, 415],
      ['legacy 404', 'POST', '/v1/nowhere', legacy(), 404],
      ['org 405', 'PUT', '/api/v1/agents', org(), 405],
      ['webhook 405', 'PUT', '/webhooks/meta', {}, 405],
      ['root 404', 'POST', '/nowhere', {}, 404],
    ] as const;

  it('with Content-Length: the answer, then the next request on the same connection', async () => {
    for (const [name, method, path, headers, status] of cases()) {
      const agent = pool();
      const answer = await send(agent, method, path, headers, big());
      expect({ name, status: answer.status }).toEqual({ name, status });
      expect(() => JSON.parse(answer.body)).not.toThrow();
      expect(answer.headers.connection).toBe('keep-alive');
      await expectNextRequestWorks(agent, answer);
      agent.destroy();
    }
  });

  it('chunked: the answer says Connection: close and arrives whole; the next request goes over a new connection', async () => {
    for (const [name, method, path, headers, status] of cases()) {
      const agent = pool();
      const answer = await send(agent, method, path, headers, big(), true);
      expect({ name, status: answer.status, connection: answer.headers.connection }).toEqual({ name, status, connection: 'close' });
      expect(() => JSON.parse(answer.body)).not.toThrow();
      await expectNextRequestWorks(agent, answer);
      agent.destroy();
    }
  });
});

// ---- raw sockets: a client that is still sending its body when the answer comes ----------------

/**
 * A raw HTTP/1.1 connection that parses the answers as they arrive (Content-Length bodies only).
 * `allowHalfOpen` lets it go on sending after the server has ended its side, as TCP allows.
 */
async function connection({ allowHalfOpen = false } = {}) {
  const socket = net.connect({ port: server.port, host: '127.0.0.1', allowHalfOpen });
  await new Promise<void>((done, fail) => {
    socket.once('connect', done);
    socket.once('error', fail);
  });
  let buffer = Buffer.alloc(0);
  const errors: string[] = [];
  let ended = false;
  let wake = () => {};
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    wake();
  });
  socket.on('end', () => {
    ended = true;
    wake();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    errors.push(error.code ?? error.message);
    wake();
  });
  /** The next complete answer; rejects if the connection fails or ends first. */
  async function answer(): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
        const length = Number(headers['content-length']);
        if (buffer.length >= end + 4 + length) {
          const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
          buffer = buffer.subarray(end + 4 + length);
          return { status: Number(statusLine?.split(' ')[1]), headers, body };
        }
      }
      if (errors.length > 0 || ended) throw new Error(`connection ${errors.join(', ') || 'ended'} before a whole answer`);
      await new Promise<void>((done) => (wake = done));
    }
  }
  const write = (data: string | Buffer) =>
    new Promise<void>((done, fail) => socket.write(data, (error) => (error ? fail(error) : done())));
  return { socket, answer, write, errors, ended: () => ended };
}

const head = (method: string, path: string, headers: Record<string, string>, length: number) =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}Content-Length: ${length}\r\n\r\n`;

describe('a client still sending its body when the answer arrives', () => {
  it('PATCH 1 MiB + 1: the 413 comes while it sends; it finishes sending and its next request on the socket is answered', async () => {
    for (const [method, path, headers] of [
      ['PATCH', `/v1/users/${gw.alice.id}/phone_numbers/${gw.numbers.alice.id}`, legacy()],
      ['PATCH', `/api/v1/agents/${agentId}`, org()],
      ['POST', `/v1/users/${gw.alice.id}/agents`, legacy()],
    ] as const) {
      const client = await connection();
      const body = jsonOfSize(MAX_BODY_BYTES + 1);
      await client.write(head(method, path, headers, body.length));
      await client.write(body.subarray(0, 64 * 1024));
      const refused = await client.answer();
      expect(refused.status).toBe(413);
      expect(refused.headers.connection).toBe('keep-alive');
      await client.write(body.subarray(64 * 1024));
      await client.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const next = await client.answer();
      expect({ status: next.status, body: next.body }).toEqual({ status: 200, body: '{"status":"ok"}' });
      expect(client.errors).toEqual([]);
      client.socket.destroy();
    }
  });

  it('an 8 MiB body is answered 413 with Connection: close; the client can send it all and read the whole answer before the server closes', async () => {
    const client = await connection({ allowHalfOpen: true });
    const size = 8 * MAX_BODY_BYTES;
    await client.write(head('POST', '/api/v1/agents', org(), size));
    const sent = (async () => {
      const chunk = Buffer.alloc(256 * 1024, ' ');
      for (let written = 0; written < size; written += chunk.length) await client.write(chunk);
    })();
    const refused = await client.answer();
    expect(refused.status).toBe(413);
    expect(refused.headers.connection).toBe('close');
    expect(JSON.parse(refused.body)).toEqual(ORG_413);
    await sent;
    // The server ends its side gracefully (FIN, never a reset): nothing went wrong on the client.
    await new Promise<void>((done) => (client.ended() ? done() : client.socket.once('end', () => done())));
    expect(client.errors).toEqual([]);
    client.socket.destroy();
  });

  it('a 401 to an 8 MiB upload the same way: answered whole, Connection: close, no reset', async () => {
    const client = await connection({ allowHalfOpen: true });
    const size = 8 * MAX_BODY_BYTES;
    await client.write(head('POST', `/v1/users/${gw.alice.id}/agents`, { 'content-type': 'application/json' }, size));
    const sent = (async () => {
      const chunk = Buffer.alloc(256 * 1024, ' ');
      for (let written = 0; written < size; written += chunk.length) await client.write(chunk);
    })();
    const refused = await client.answer();
    expect(refused.status).toBe(401);
    expect(refused.headers.connection).toBe('close');
    await sent;
    await new Promise<void>((done) => (client.ended() ? done() : client.socket.once('end', () => done())));
    expect(client.errors).toEqual([]);
    client.socket.destroy();
  });
});
