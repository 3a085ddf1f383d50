/**
 * Splitting a reply into messages the platform accepts (contract §8, "The send"): WhatsApp takes at
 * most 4096 characters a message, Instagram 1000. Pure.
 */

export const PLATFORM_LIMITS = { whatsapp: 4096, instagram: 1000 } as const;

/**
 * What a limit counts. `char`: UTF-16 code units, JavaScript's `length` (an emoji outside the Basic
 * Multilingual Plane counts 2, so a part is never longer than `limit` however a platform counts
 * characters). `byte`: UTF-8 bytes, for a platform that counts those (Meta documents Instagram's limit
 * as 1000 bytes).
 */
export type SplitUnit = 'char' | 'byte';

/**
 * The reply as parts of at most `limit` units each, in order, trimmed, none empty (a blank reply has
 * no parts). A reply that fits is one part. Otherwise each part is as long as it can be while ending
 * at the last paragraph break that fits; failing that at the last end of a sentence or line; failing
 * that at the last space; and only for a run of text with no space at all (a long link, say) at the
 * last whole grapheme, never inside a surrogate pair or a combined emoji. Only the whitespace at a cut
 * is dropped, so joining the parts with the whitespace back gives the reply.
 */
export function splitReply(text: string, limit: number, unit: SplitUnit = 'char'): string[] {
  if (!Number.isInteger(limit) || limit < 4) throw new RangeError(`splitReply: limit must be an integer of at least 4, got ${limit}`);
  const measure = unit === 'byte' ? utf8Length : (s: string) => s.length;
  const parts: string[] = [];
  let rest = text.trim();
  while (rest !== '' && measure(rest) > limit) {
    const max = fittingEnd(rest, limit, unit);
    const cut = cutPoint(rest, max);
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest !== '') parts.push(rest);
  return parts;
}

/** The largest index of `text`, at a code point boundary, whose prefix measures at most `limit`. */
function fittingEnd(text: string, limit: number, unit: SplitUnit): number {
  let size = 0;
  let index = 0;
  while (index < text.length) {
    const codePoint = text.codePointAt(index)!;
    const units = codePoint > 0xffff ? 2 : 1;
    const cost = unit === 'byte' ? utf8Bytes(codePoint) : units;
    if (size + cost > limit) break;
    size += cost;
    index += units;
  }
  return index;
}

/** Paragraph break, else sentence or line end, else space, else grapheme: the last one in (0, max]. */
function cutPoint(text: string, max: number): number {
  // One unit past `max`, so that whitespace right after the last character that fits counts as a break.
  const window = text.slice(0, max + 1);
  const paragraph = lastMatch(window, /\n[^\S\n]*\n/g, (m) => m.index, max);
  if (paragraph !== null) return paragraph;
  const sentence = Math.max(
    lastMatch(window, /[.!?…]+["'”’»)\]]*(?=\s)/g, (m) => m.index + m[0].length, max) ?? -1,
    lastMatch(window, /[。！？]+["'”’»)\]」』]*/g, (m) => m.index + m[0].length, max) ?? -1,
    lastMatch(window, /\n/g, (m) => m.index, max) ?? -1,
  );
  if (sentence > 0) return sentence;
  const space = lastMatch(window, /\s/g, (m) => m.index, max);
  if (space !== null) return space;
  return lastGraphemeBoundary(text, max);
}

/** The last position `at(match)` that lies in (0, max], or null. */
function lastMatch(window: string, pattern: RegExp, at: (m: RegExpExecArray) => number, max: number): number | null {
  let best: number | null = null;
  for (let m = pattern.exec(window); m !== null; m = pattern.exec(window)) {
    const position = at(m);
    if (position > 0 && position <= max) best = position;
  }
  return best;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The start of the last grapheme that begins in (0, max]; `max` itself when one grapheme is longer than the limit. */
function lastGraphemeBoundary(text: string, max: number): number {
  let best = 0;
  // Segment a little past `max`, so that the end of the window is not taken for a boundary.
  for (const { index } of graphemes.segment(text.slice(0, max + 64))) {
    if (index > max) break;
    best = index;
  }
  return best > 0 ? best : max;
}

function utf8Bytes(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) bytes += utf8Bytes(char.codePointAt(0)!);
  return bytes;
}
