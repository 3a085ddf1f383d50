import http from 'node:http';
import { Writable } from 'node:stream';
import { createGatewayApp, createLogger, listen, type ClientLimits, type HttpServer } from '@gateway/gateway';
import { createTestGateway, type TestGateway, type TestGatewayOptions } from '@gateway/http/testing';
import { faultyUnitOfWork } from './faults';
import { snapshot, type Snapshot } from './snapshot';

export const APP_SECRET = 'adversarial-app-secret-5e1d';
export const VERIFY_TOKEN = 'adversarial-verify-token-77c2';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * A whole gateway behind a real HTTP server on 127.0.0.1, over the test gateway's seeded world
 * (storage: `GATEWAY_TEST_STORAGE`, SQLite unless it says postgres), and a client that sends every
 * request over one kept-alive connection, so a response that leaves the connection broken shows as
 * a failure of the next request. Everything the gateway logs is kept.
 */
export async function startWorld(options: TestGatewayOptions & { limits?: ClientLimits } = {}) {
  const gw: TestGateway = await createTestGateway(options);
  // The dialects and the webhook write through this unit of work: `faults.arm` makes one of its
  // storage calls fail (see faults.ts); unarmed, it only passes calls on.
  const faults = faultyUnitOfWork(gw.uow);
  const services = { ...gw.services, uow: faults.uow };
  const logs: string[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      logs.push(chunk.toString());
      done();
    },
  });
  const app = createGatewayApp({
    services,
    storage: { ready: async () => true },
    logger: createLogger('info', sink),
    meta: { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN },
  });
  const server: HttpServer = await listen(app.fetch, { host: '127.0.0.1', port: 0, ...(options.limits ? { limits: options.limits } : {}) });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  /** Sends one request over the shared connection; rejects only when the connection failed. */
  function request({ method, path, headers = {}, body }: RawRequest): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          method,
          path,
          agent,
          headers: { ...(payload ? { 'content-length': String(payload.length) } : {}), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  return {
    gw,
    app,
    faults,
    port: server.port,
    logs,
    request,
    snapshot: (): Promise<Snapshot> => snapshot(gw.database),
    close: async () => {
      agent.destroy();
      await server.shutdown(1_000);
      await gw.close();
    },
  };
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/** The legacy dialect's error titles by status (contract §3). */
export const LEGACY_TITLES: Record<number, string> = {
  400: 'Validation error',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The legacy dialect's error body for a status: `{error: <its title>, message, correlation_id, timestamp}`. */
export function isLegacyError(status: number, body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    b.error === LEGACY_TITLES[status] &&
    typeof b.message === 'string' &&
    typeof b.correlation_id === 'string' &&
    typeof b.timestamp === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(b.timestamp)
  );
}

/** The org dialect's error codes by status (contract §4). */
export const ORG_CODES: Record<number, readonly string[]> = {
  400: ['invalid_json'],
  401: ['unauthorized'],
  403: ['insufficient_scope'],
  404: ['agent_not_found', 'conversation_not_found', 'phone_number_not_found', 'not_found'],
  405: ['method_not_allowed'],
  409: ['agent_handle_taken', 'phone_number_in_use', 'idempotency_key_reused', 'idempotency_key_in_use'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
  422: ['validation_failed'],
  429: ['rate_limited'],
  500: ['internal_error'],
  503: ['service_unavailable'],
};

/** The org dialect's error body for a status: `{"error": {code, message, request_id, details?}}`. */
export function isOrgError(status: number, body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as Record<string, unknown>;
  if (typeof e.code !== 'string' || typeof e.message !== 'string' || typeof e.request_id !== 'string') return false;
  if (!(ORG_CODES[status] ?? []).includes(e.code)) return false;
  if (e.code === 'validation_failed') {
    return Array.isArray(e.details) && e.details.length > 0 && e.details.every((d) => typeof d?.field === 'string' && typeof d?.message === 'string');
  }
  return true;
}
