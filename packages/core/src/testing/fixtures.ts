import type { IdGenerator, IdPrefix } from '../ids';
import type { Clock, HtmlSanitizer, TokenHasher } from '../ports';
import { DEFAULT_PLAN_LIMITS, type CoreDeps, type PlanLimits } from '../use-cases/context';

/** A clock that only moves when told to. */
export function manualClock(start = Date.UTC(2026, 0, 1, 12, 0, 0)): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    set: (ms) => {
      now = ms;
    },
  };
}

/** Deterministic ids: `<prefix>_` + 8 hex of time 0 + a 16-hex counter. */
export function sequentialIds(): IdGenerator {
  let n = 0;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return {
    next: (prefix: IdPrefix) => `${prefix}_00000000${(++n).toString(16).padStart(16, '0')}`,
    token: () => {
      n++;
      let t = '';
      for (let i = 0; i < 32; i++) t += alphabet[(n * 7 + i * 13) % alphabet.length];
      return `sk_live_${t}`;
    },
  };
}

/** A stand-in hasher for pure tests (not cryptographic). */
export const reversingHasher: TokenHasher = { hash: (token) => `h:${[...token].reverse().join('')}` };

/** A stand-in sanitizer for pure tests: strips every tag. Real sanitizing lives in @gateway/platform. */
export const stripTagsSanitizer: HtmlSanitizer = {
  sanitize: (html) => {
    const clean = html.replace(/<(?!\/?(p|br|strong|b|em|i|u|ul|ol|li|a|code|pre|blockquote|h[1-6])\b)[^>]*>/gi, '');
    return { html: clean, text: clean.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() };
  },
};

export function testDeps(overrides: Partial<CoreDeps> & { planLimits?: PlanLimits } = {}): CoreDeps & { clock: ReturnType<typeof manualClock> } {
  return {
    clock: manualClock(),
    ids: sequentialIds(),
    hasher: reversingHasher,
    html: stripTagsSanitizer,
    planLimits: DEFAULT_PLAN_LIMITS,
    ...overrides,
  } as CoreDeps & { clock: ReturnType<typeof manualClock> };
}
