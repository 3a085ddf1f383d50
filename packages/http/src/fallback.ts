import type { Hono } from 'hono';
import { setResponseHeader } from './headers';
import { HttpProblem } from './problems';
import type { GatewayEnv } from './request-context';

function patternToRegExp(path: string): RegExp {
  const escaped = path
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}$`);
}

/**
 * Registers, after every route, the answer for a path no route takes: 405 with `Allow` when the
 * path exists under other methods, else 404. Neither asks for a key.
 */
export function routeFallback(app: Hono<GatewayEnv>): void {
  const routes = app.routes
    .filter((r) => r.method !== 'ALL' && !r.path.endsWith('*'))
    .map((r) => ({ method: r.method, pattern: patternToRegExp(r.path) }));
  app.all('*', (c) => {
    const allow = [...new Set(routes.filter((r) => r.pattern.test(c.req.path)).map((r) => r.method))];
    if (allow.length > 0) {
      if (allow.includes('GET') && !allow.includes('HEAD')) allow.push('HEAD');
      setResponseHeader(c, 'Allow', allow.join(', '));
      throw new HttpProblem('method_not_allowed', `Method ${c.req.method} is not allowed on ${c.req.path}`, { allow });
    }
    throw new HttpProblem('route_not_found', `Route ${c.req.method} ${c.req.path} not found`);
  });
}
