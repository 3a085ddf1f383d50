import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { MAX_BODY_BYTES } from '@gateway/http';

/** A Hono app's `fetch`; the bindings carry the Node request (the auth limiter reads its peer address). */
export type FetchHandler = (request: Request, bindings: HttpBindings) => Response | Promise<Response>;

export interface HttpServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  port: number;
  /**
   * Stops accepting connections and lets in-flight requests finish; connections still open after
   * `graceMs` are closed. Resolves when every connection has ended.
   */
  shutdown(graceMs: number): Promise<{ forced: boolean }>;
  /** Closes every connection now, in-flight or not. */
  forceClose(): void;
}

/** How long a client may take to send a request: slow clients must not hold connections forever. */
export interface ClientLimits {
  /** From the first byte of a request to the end of its head. */
  headersTimeoutMs: number;
  /** From the start of a request to the end of its body; past it, node:http answers 408 and closes. */
  requestTimeoutMs: number;
}

/**
 * A request head arrives in milliseconds from any real client, and a 1 MiB body in well under a
 * second; these limits only end connections that trickle (node:http's defaults are 60 s and 300 s).
 */
export const CLIENT_LIMITS: ClientLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 };

/**
 * Serves a fetch handler with node:http through @hono/node-server's listener, keeping track of
 * responses in flight so a shutdown can tell their clients not to reuse the connection, writing
 * the answers of one turn of the event loop together (see `endOfTurn`), and settling the bodies
 * that handlers answered without reading (see `settleUnreadBody`).
 */
export function listen(fetch: FetchHandler, { host, port, limits = CLIENT_LIMITS }: { host: string; port: number; limits?: ClientLimits }): Promise<HttpServer> {
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // How often node:http looks for connections past those limits (its default is every 30 s).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  });
  const inFlight = new Set<ServerResponse>();
  let stopping = false;
  // The listener's own clean-up of unread bodies (drain for 500 ms, then destroy the socket, while a
  // reader it made keeps pausing the body) resets connections whose answer said keep-alive: ours
  // replaces it.
  const handle = getRequestListener(answerThenSettle(fetch) as Parameters<typeof getRequestListener>[0], { autoCleanupIncoming: false });

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // A connection that is closing only reads what the client still sends; it answers nothing more.
    if (closing.has(request.socket)) return;
    if (stopping) response.setHeader('Connection', 'close');
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
    void handle(request, response);
  });

  let shuttingDown: Promise<{ forced: boolean }> | null = null;
  const shutdown = (graceMs: number) => {
    shuttingDown ??= new Promise((resolve) => {
      stopping = true;
      let forced = false;
      for (const response of inFlight) {
        if (!response.headersSent) response.setHeader('Connection', 'close');
      }
      // Keep-alive connections between requests hold nothing in flight: close them as they go idle.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => {
        forced = true;
        server.closeAllConnections();
      }, graceMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve({ forced });
      });
      server.closeIdleConnections();
    });
    return shuttingDown;
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = (server.address() as AddressInfo).port;
      const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
      resolve({ url: `http://${shown}:${bound}`, port: bound, shutdown, forceClose: () => server.closeAllConnections() });
    });
  });
}

/** A body of at most this many bytes (declared) that a handler answered before reading is read to its end and dropped, and the connection kept. */
const DRAIN_MAX_BYTES = 2 * MAX_BODY_BYTES;
/** How long the rest of such a body may take to arrive before the connection is closed after all. */
const DRAIN_MS = 5_000;
/** How long a closing connection keeps reading (and dropping) what the client still sends, so that it can read the answer. */
const LINGER_MS = 5_000;

/**
 * The fetch handler, then the decision about the request body it left unread, then the end of the
 * turn, before its answer is written.
 */
function answerThenSettle(fetch: FetchHandler): FetchHandler {
  return async (request, bindings) => {
    let response: Response;
    try {
      response = await fetch(request, bindings);
    } finally {
      settleUnreadBody(bindings.incoming, bindings.outgoing);
    }
    await endOfTurn();
    return response;
  };
}

let turnOver: Promise<void> | undefined;

/**
 * Resolves once the event loop has run every I/O callback of its current iteration, its turn
 * (ADR 0012): the answers ready in one turn are written one after another at its end, not each as
 * soon as it is ready. Every answer written to a client that is asleep waiting for it wakes that client, and the
 * sender's kernel pays for the wake-up; written together, the first answer wakes the client and the
 * rest find it awake. The wait is what the turn still has to do: at most the other requests it
 * serves. All the answers of a turn share one promise and one `setImmediate`. An answer that
 * becomes ready while that promise's waiters run waits for the next turn.
 */
function endOfTurn(): Promise<void> {
  turnOver ??= new Promise((resolve) => {
    setImmediate(() => {
      turnOver = undefined;
      resolve();
    });
  });
  return turnOver;
}

/**
 * An answer given before the body was read (a 413 on the declared length, a 401, 415, 404, …)
 * leaves the rest of the body on the connection; closing the socket over unread bytes makes the
 * kernel send a reset, which can destroy the answer before the client reads it, and answering
 * keep-alive and then closing breaks the client's next request on its pooled connection. So, like
 * a careful HTTP server:
 *
 * - a body declared at most `DRAIN_MAX_BYTES` long is read to its end and dropped once the answer
 *   is written, and the connection serves the next request (closed gracefully if the rest takes
 *   longer than `DRAIN_MS`);
 * - a longer body, or one without a declared length, is answered with `Connection: close`; after
 *   the answer the server ends its side and goes on reading and dropping what the client sends,
 *   for at most `LINGER_MS`, before it closes ("lingering close").
 */
function settleUnreadBody(incoming: IncomingMessage, outgoing: ServerResponse): void {
  if (incoming.complete) return;
  lingerOnClose(incoming.socket);
  const declared = incoming.headers['transfer-encoding'] === undefined ? Number(incoming.headers['content-length']) : Number.NaN;
  const keep = declared <= DRAIN_MAX_BYTES;
  if (!keep && !outgoing.headersSent) outgoing.setHeader('Connection', 'close');
  outgoing.once('finish', () => {
    if (incoming.complete) return;
    dropRest(incoming);
    if (!keep) return;
    const socket = incoming.socket;
    const late = setTimeout(() => socket.destroySoon(), DRAIN_MS);
    const done = () => {
      clearTimeout(late);
      incoming.off('end', done);
      socket.off('close', done);
    };
    incoming.once('end', done);
    socket.once('close', done);
  });
}

/**
 * Lets the rest of a body flow and fall on the floor. Node drops a body nobody touched by itself,
 * but one a handler began to read is held by that reader, which pauses it whenever its own queue is
 * full: its listener is removed so that nothing pauses the body any more.
 */
function dropRest(incoming: IncomingMessage): void {
  incoming.removeAllListeners('data');
  incoming.resume();
}

/** Connections that have ended their side and only read what still comes, until they close. */
const closing = new WeakSet<Socket>();

/**
 * Node's HTTP server ends a connection it will not reuse with `socket.destroySoon()` as soon as the
 * answer is written, which closes the socket while the client may still be sending. On this
 * socket it ends its side (FIN, after the answer), keeps reading until the client closes its side
 * or `LINGER_MS` have passed, and only then closes.
 */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = () => {
    if (closing.has(socket)) return;
    closing.add(socket);
    socket.end();
    const deadline = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once('end', () => socket.destroy());
    socket.once('close', () => clearTimeout(deadline));
  };
}
