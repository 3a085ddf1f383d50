import type { Issue } from '@gateway/core';

/**
 * A JavaScript string that is not Unicode text holds a lone surrogate: half of a UTF-16 pair
 * (`"\ud800"` in JSON). It cannot be stored or sent as UTF-8 without being replaced, so it would
 * read back different from what was acknowledged. With the `u` flag a proper pair is one code
 * point, so only a lone half matches.
 */
const LONE_SURROGATE = /\p{Surrogate}/u;

export const isUnicodeText = (text: string): boolean => !LONE_SURROGATE.test(text);

/**
 * Text that both databases store exactly as given: Unicode text without U+0000 (NUL), which
 * PostgreSQL's text type cannot hold at all and SQLite would keep, so the same request could not
 * have the same outcome on both.
 */
const NOT_STORABLE = /[\p{Surrogate}\u0000]/u;
export const isStorableText = (text: string): boolean => !NOT_STORABLE.test(text);

const problemOf = (text: string): string | null =>
  !isUnicodeText(text) ? 'must be valid Unicode text' : text.includes('\u0000') ? 'must not contain NUL characters' : null;

/**
 * A JSON text whose bytes are valid UTF-8 can only produce a lone surrogate or a NUL through a
 * `\uD800`–`\uDFFF` or `\u0000` escape (a raw control character is not JSON); without one there is
 * nothing to look for.
 */
const SURROGATE_ESCAPE = /\\u(?:[dD][89a-fA-F]|0000)/;

interface Visit {
  value: unknown;
  parent: Visit | null;
  /** The key or index under the parent; undefined for the whole body. */
  name: string | number | undefined;
  /** Stands for the first field name of `value` that cannot be stored: what is wrong with it. */
  brokenKey?: string;
}

/**
 * Every string of a parsed JSON body, object keys included, that is not Unicode text, as the
 * validation issues both dialects already render: the field is the wire path (`display_name`,
 * `tools.2.name`, `body` for the whole body). A field name that is not Unicode text is reported on
 * the object that holds it, so no answer ever echoes the broken text. `raw` is the JSON text the
 * value was parsed from.
 */
export function textIssues(value: unknown, raw: string): Issue[] {
  if (!SURROGATE_ESCAPE.test(raw)) return [];
  const issues: Issue[] = [];
  const report = (at: Visit, problem: string) => {
    const path: (string | number)[] = [];
    for (let step: Visit | null = at; step !== null && step.name !== undefined; step = step.parent) path.push(step.name);
    path.reverse();
    const field = path.length === 0 ? 'body' : path.join('.');
    issues.push({ field, rule: 'invalid_unicode', message: `${path.length === 0 ? 'Request body' : field} ${problem}` });
  };
  // Depth-first in document order, without recursion (1 MiB of `[` nests deeper than the stack),
  // each step linked to its parent rather than carrying a copy of its path. A field name that is
  // not text is reported where it occurs, on the object that holds it.
  const stack: Visit[] = [{ value, parent: null, name: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    const current = visit.value;
    if (visit.brokenKey) {
      report(visit, visit.brokenKey);
    } else if (typeof current === 'string') {
      const problem = problemOf(current);
      if (problem !== null) report(visit, problem);
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index -= 1) stack.push({ value: current[index], parent: visit, name: index });
    } else if (typeof current === 'object' && current !== null) {
      const keys = Object.keys(current);
      const firstBroken = keys.findIndex((key) => !isStorableText(key));
      for (let index = keys.length - 1; index >= 0; index -= 1) {
        const key = keys[index] as string;
        if (index === firstBroken) {
          const problem = isUnicodeText(key) ? 'has a field name with a NUL character' : 'has a field name that is not valid Unicode text';
          stack.push({ ...visit, brokenKey: problem });
        }
        else if (isStorableText(key)) stack.push({ value: (current as Record<string, unknown>)[key], parent: visit, name: key });
      }
    }
  }
  return issues;
}
