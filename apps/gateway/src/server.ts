import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, type HttpBindings } from '@hono/node-server';

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

/**
 * Serves a fetch handler with node:http through @hono/node-server's listener, keeping track of
 * responses in flight so a shutdown can tell their clients not to reuse the connection.
 */
export function listen(fetch: FetchHandler, { host, port }: { host: string; port: number }): Promise<HttpServer> {
  const server = createServer();
  const inFlight = new Set<ServerResponse>();
  let stopping = false;

  server.on('request', (_request, response: ServerResponse) => {
    if (stopping) response.setHeader('Connection', 'close');
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });
  server.on('request', getRequestListener(fetch as Parameters<typeof getRequestListener>[0]));

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
