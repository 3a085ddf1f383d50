import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Ctx, UnitOfWork } from '@gateway/core';
import { jsonResponse, setResponseHeader } from './headers';
import { HttpProblem } from './problems';
import type { GatewayEnv } from './request-context';
import type { GatewayServices } from './services';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const IDEMPOTENCY_LOCK_MS = 60 * 1000;
const KEY_PATTERN = /^[\x20-\x7E]{1,128}$/;

/** A claimed Idempotency-Key of the current request. */
export interface IdempotencyState {
  keyId: string;
  key: string;
  /** The claim's fence: only this claim may complete or release the key. */
  fence: number;
  /** Set once the response is stored, inside the transaction of the write it describes. */
  stored: { status: number; body: string } | null;
}

/**
 * Idempotency-Key on POST and PATCH, scoped to the API key, fingerprinted by method, path and body,
 * kept in the database for 24 hours. A retry replays the stored response; another fingerprint or a
 * request still running is a conflict. Only 2xx responses are stored, and they commit with their
 * write (see {@link respond}); anything else releases the key.
 */
export function idempotency(services: GatewayServices, options: { now?: () => number } = {}): MiddlewareHandler<GatewayEnv> {
  // The core's clock, read per request, so tests that give the core another clock move the locks too.
  const now = options.now ?? (() => services.core.deps.clock.now());
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header('idempotency-key');
    if (key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      throw new HttpProblem('idempotency_key_invalid', 'Idempotency-Key must be 1-128 printable ASCII characters', {
        issues: [{ field: 'Idempotency-Key', rule: 'invalid', message: 'Idempotency-Key must be 1-128 printable ASCII characters' }],
      });
    }
    const keyId = c.get('keyId') as string;
    const fingerprint = createHash('sha256')
      .update(`${c.req.method}\n${c.req.path}\n`)
      .update(c.get('rawBody') ?? '')
      .digest('hex');
    const at = now();
    const claim = await services.uow.write((repos) =>
      repos.idempotency.claim(
        { keyId, idempotencyKey: key, fingerprint, status: null, body: null, lockedAt: at, createdAt: at, expiresAt: at + IDEMPOTENCY_TTL_MS },
        at - IDEMPOTENCY_LOCK_MS,
      ),
    );
    if (claim.outcome === 'mismatch') {
      throw new HttpProblem('idempotency_key_reused', 'Idempotency-Key was already used with a different request');
    }
    if (claim.outcome === 'in_flight') {
      throw new HttpProblem('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed');
    }
    if (claim.outcome === 'replay') {
      setResponseHeader(c, 'Idempotent-Replayed', 'true');
      return jsonResponse(c, claim.record.status as number, claim.record.body ?? '');
    }

    const state: IdempotencyState = { keyId, key, fence: claim.fence, stored: null };
    c.set('idempotency', state);
    let succeeded = false;
    try {
      await next();
      succeeded = c.res.status >= 200 && c.res.status < 300 && c.error === undefined;
      if (succeeded && state.stored === null) {
        const body = await c.res.clone().text();
        // No write of its own to roll back: a claim taken over meanwhile keeps the retry's outcome.
        await services.uow.write((repos) => repos.idempotency.complete(keyId, key, state.fence, c.res.status, body));
      }
    } finally {
      if (!succeeded) await services.uow.write((repos) => repos.idempotency.release(keyId, key, state.fence));
    }
  };
}

/** A rendered response: what the client gets, and what a retry replays. */
export interface Rendered {
  status: 200 | 201;
  body: unknown;
}

/**
 * Runs a use case and answers with its rendering. When the request holds an Idempotency-Key, the
 * rendered response is stored inside the same transaction as the use case's write, so a crash can
 * never keep one without the other.
 */
export async function respond<T>(
  c: Context<GatewayEnv>,
  services: GatewayServices,
  run: (ctx: Ctx) => Promise<T>,
  render: (result: T) => Rendered,
): Promise<Response> {
  const state = c.get('idempotency');
  const uow = services.uow;
  let rendered: { status: number; body: string } | null = null;
  const renderOnce = (result: T) => {
    if (rendered === null) {
      const r = render(result);
      rendered = { status: r.status, body: JSON.stringify(r.body) };
    }
    return rendered;
  };
  const ctx: Ctx = {
    actor: c.get('actor'),
    uow: state === undefined ? uow : storingUnitOfWork(uow, state, renderOnce as (result: unknown) => { status: number; body: string }),
  };
  const result = await run(ctx);
  const { status, body } = renderOnce(result);
  return jsonResponse(c, status, body);
}

function storingUnitOfWork(
  inner: UnitOfWork,
  state: IdempotencyState,
  render: (result: unknown) => { status: number; body: string },
): UnitOfWork {
  return {
    read: (work) => inner.read(work),
    write: (work) =>
      inner.write(async (repos) => {
        const result = await work(repos);
        const { status, body } = render(result);
        if (!(await repos.idempotency.complete(state.keyId, state.key, state.fence, status, body))) {
          // This request outlived its lock and a retry took the key over: roll the write back, so
          // the key's one outcome is the retry's.
          throw new HttpProblem('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed');
        }
        state.stored = { status, body };
        return result;
      }),
  };
}
