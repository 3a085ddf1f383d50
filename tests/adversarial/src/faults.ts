import { StorageError, type Repositories, type UnitOfWork } from '@gateway/core';

/** What the `at`-th storage call of a request's transactions does instead of its work. */
export type Fault =
  /** An error the storage layer did not classify (a driver bug, a disk error): a 500. */
  | { kind: 'error' }
  /** The database is unreachable or timed out: a 503. */
  | { kind: 'unavailable' }
  /** Runs `effect` (e.g. terminates the transaction's connection), then lets the call go ahead. */
  | { kind: 'effect'; effect: () => Promise<void> };

export interface FaultPlan {
  /** 1-based: the storage call that fails, counted over every `write` of the unit of work. */
  at: number | null;
  fault: Fault;
  /** How many calls were counted since the plan was armed, and whether the fault fired. */
  calls: number;
  fired: boolean;
  /** The repository and method of each counted call, in order. */
  trace: string[];
}

/**
 * A unit of work whose writes fail at a chosen repository call, inside the transaction, as a lost
 * disk or connection would. Recording that a key was used (`apiKeys.touch`, done in the background
 * at most once a minute per key) is not counted. Reads are not faulted.
 */
export function faultyUnitOfWork(inner: UnitOfWork): { uow: UnitOfWork; arm(at: number | null, fault: Fault): FaultPlan } {
  let plan: FaultPlan = { at: null, fault: { kind: 'error' }, calls: 0, fired: false, trace: [] };

  const wrap = (repos: Repositories): Repositories =>
    new Proxy(repos, {
      get(target, name: string) {
        const repository = (target as unknown as Record<string, object>)[name];
        if (typeof repository !== 'object' || repository === null) return repository;
        return new Proxy(repository, {
          get(repo, method: string) {
            const original = (repo as Record<string, unknown>)[method];
            if (typeof original !== 'function') return original;
            return async (...args: unknown[]) => {
              if (!(name === 'apiKeys' && method === 'touch')) {
                plan.calls += 1;
                plan.trace.push(`${name}.${method}`);
                if (plan.calls === plan.at) {
                  plan.fired = true;
                  const { fault } = plan;
                  if (fault.kind === 'error') throw new Error('disk I/O error (injected) at /var/lib/gateway/gateway.db');
                  if (fault.kind === 'unavailable') throw new StorageError('unavailable', 'connection terminated (injected)');
                  await fault.effect();
                }
              }
              return (original as (...a: unknown[]) => unknown).apply(repo, args);
            };
          },
        });
      },
    });

  return {
    uow: {
      read: (work) => inner.read(work),
      write: (work) => inner.write((repos) => work(wrap(repos))),
    },
    arm(at, fault) {
      plan = { at, fault, calls: 0, fired: false, trace: [] };
      return plan;
    },
  };
}
