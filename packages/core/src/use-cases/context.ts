import { DomainError } from '../errors';
import type { IdGenerator } from '../ids';
import type { Plan } from '../model';
import type { Clock, HtmlSanitizer, TokenHasher, UnitOfWork, Visibility } from '../ports';
import type { Scope } from '../scopes';

/** Agents an org of each plan may hold (R10); null means no limit. */
export type PlanLimits = Record<Plan, number | null>;
export const DEFAULT_PLAN_LIMITS: PlanLimits = { free: 10, pro: 100, enterprise: null };

/** What the core needs from the world, supplied once by the composition root. */
export interface CoreDeps {
  clock: Clock;
  ids: IdGenerator;
  hasher: TokenHasher;
  html: HtmlSanitizer;
  planLimits: PlanLimits;
  /**
   * §8: when set, a customer message to a conversation whose agent is active is stored with the work
   * to answer it, due after `debounceMs` of quiet and at most `maxWaitMs` after the first waiting
   * message. Unset (no model configured), messages are stored and nobody answers.
   */
  replies?: { debounceMs: number; maxWaitMs: number } | null;
}

/** Who is calling: an API key of one org, seeing the whole org or (legacy) one user's numbers. */
export interface Actor {
  orgId: string;
  keyId: string;
  /** The user the key is bound to, if any. */
  keyUserId: string | null;
  scopes: ReadonlySet<Scope>;
  visibility: Visibility;
}

/** Per call: the actor and the unit of work to run in (a request may wrap it, e.g. for idempotency). */
export interface Ctx {
  actor: Actor;
  uow: UnitOfWork;
}

export function requireScope(actor: Actor, scope: Scope): void {
  if (!actor.scopes.has(scope)) {
    throw new DomainError('forbidden', `This API key lacks the ${scope} scope`, { scope });
  }
}
