import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The part both fakes share: a real HTTP server on 127.0.0.1 (port 0) that records every request and
 * answers each one from a script, one step per request, then from a default step.
 */

export interface RecordedRequest {
  method: string;
  /** The path with its query, as sent: `/v1/responses`. */
  path: string;
  /** Lower-cased names, as Node gives them. */
  headers: Record<string, string>;
  /** The body parsed as JSON, or the raw text when it is not JSON. */
  body: unknown;
  raw: string;
}

/** What the server does with one request. */
export type Answer =
  | { status: number; headers?: Record<string, string>; body: string }
  /** Never answer: the client's timeout has to end it. */
  | { hang: true }
  /** Destroy the connection without a byte of answer. */
  | { close: true };

/** Steps every fake understands, beside its own. */
export type TransportStep =
  | { hang: true }
  | { close: true }
  /** A body that is not what the API sends (`content-type` application/json unless given). */
  | { garbage: string; status?: number; contentType?: string; delayMs?: number };

export interface FakeServer<Step> {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Every request, in arrival order. */
  requests: RecordedRequest[];
  /** Queues steps: the next requests are answered by them, in order. */
  script(...steps: Step[]): void;
  /** The step for a request when the script is used up. */
  setDefault(step: Step): void;
  /** Forgets the requests and the script. */
  reset(): void;
  close(): Promise<void>;
}

type Resolve<Step> = (step: Step | undefined, request: RecordedRequest, index: number) => Answer | Promise<Answer>;

export function isTransportStep(step: unknown): step is TransportStep {
  return typeof step === 'object' && step !== null && ('hang' in step || 'close' in step || 'garbage' in step);
}

export function transportAnswer(step: TransportStep): Answer {
  if ('hang' in step) return { hang: true };
  if ('close' in step) return { close: true };
  return { status: step.status ?? 200, headers: { 'content-type': step.contentType ?? 'application/json' }, body: step.garbage };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `takesStep`: whether a request is answered from the script (default: every request). */
export async function startFakeServer<Step>(resolve: Resolve<Step>, takesStep: (request: RecordedRequest) => boolean = () => true): Promise<FakeServer<Step>> {
  const requests: RecordedRequest[] = [];
  let queue: Step[] = [];
  let fallback: Step | undefined;
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    try {
      body = raw === '' ? null : JSON.parse(raw);
    } catch {
      // Not JSON: keep the text.
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
    const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers, body, raw };
    const index = requests.push(recorded) - 1;
    const step = !takesStep(recorded) ? undefined : queue.length > 0 ? queue.shift() : fallback;
    const delayMs = (step as { delayMs?: number } | undefined)?.delayMs ?? 0;
    if (delayMs > 0) await sleep(delayMs);
    const answer = await resolve(step, recorded, index);
    if ('hang' in answer) return;
    if ('close' in answer) {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { 'content-length': Buffer.byteLength(answer.body), ...answer.headers });
    res.end(answer.body);
  }

  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    script(...steps) {
      queue.push(...steps);
    },
    setDefault(step) {
      fallback = step;
    },
    reset() {
      requests.length = 0;
      queue = [];
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** A port nothing listens on: a server is started on it and closed again. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
