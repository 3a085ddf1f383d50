import type { Env, MiddlewareHandler } from 'hono';

/**
 * Several middleware run as one step of a route, in their order: each one's `next` calls the one
 * after it, and the last one's is the route's next step. Hono gives every middleware of a route a
 * step of its own (an async frame, a closure, the response checked after it), which a guard of
 * four to six paid on every request; here the members are plain calls.
 *
 * A response a member returns instead of calling `next` becomes the context's response at once, as
 * Hono's own step would make it, so the members before it see it in `c.res` after their `next`. An
 * error a member throws passes up through the members before it, as through any function call, and
 * Hono answers it at this step; a member that needs to see such an error as a response must not be
 * in a sequence with the member that throws it.
 */
export function sequence<E extends Env>(members: readonly MiddlewareHandler<E>[]): MiddlewareHandler<E> {
  return function sequenceMiddleware(c, next) {
    const answered = (res: void | Response) => {
      if (res instanceof Response && !c.finalized) c.res = res;
    };
    const step = (i: number): Promise<void> => {
      const member = members[i];
      return member === undefined ? next() : member(c, () => step(i + 1)).then(answered);
    };
    return step(0);
  };
}
