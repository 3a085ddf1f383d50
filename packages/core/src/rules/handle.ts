import { HANDLE_MAX, HANDLE_PATTERN } from './limits';
import type { Issue } from '../errors';

export function handleIssue(handle: string): Issue | null {
  if (handle.length < 1 || handle.length > HANDLE_MAX) {
    return { field: 'handle', rule: 'length', message: `handle must be 1-${HANDLE_MAX} characters` };
  }
  if (!HANDLE_PATTERN.test(handle)) {
    return {
      field: 'handle',
      rule: 'invalid',
      message: 'handle must start with a letter and contain only letters and digits',
    };
  }
  return null;
}

/**
 * R4: the handle a legacy agent gets from its name: ASCII-folded, camelCased, non-alphanumerics
 * dropped, `agent` prefixed when empty or starting with a digit, cut to 64 characters.
 */
export function handleFromName(name: string): string {
  const folded = name.normalize('NFKD').replace(/\p{M}+/gu, '');
  const words = folded.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  let handle = words
    .map((word, i) => {
      const lower = word.toLowerCase();
      return i === 0 ? lower : lower.charAt(0).toUpperCase() + lower.slice(1);
    })
    .join('');
  if (handle === '') handle = 'agent';
  else if (/^[0-9]/.test(handle)) handle = `agent${handle}`;
  return handle.slice(0, HANDLE_MAX);
}

/**
 * R4: the first of `base`, `base2`, `base3`, … whose lower-case form is not in `taken`, keeping the
 * whole handle within 64 characters.
 */
export function firstFreeHandle(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base.toLowerCase())) return base;
  for (let n = 2; ; n++) {
    const suffix = String(n);
    const candidate = base.slice(0, HANDLE_MAX - suffix.length) + suffix;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}
