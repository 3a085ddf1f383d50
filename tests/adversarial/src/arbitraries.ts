import net from 'node:net';
import fc from 'fast-check';
import { expect } from 'vitest';
import { MAX_BODY_BYTES } from '@gateway/http';
import type { Answer, RawRequest, World } from './world';

/**
 * Shared fast-check arbitraries for the fuzz suites: text of every kind, JSON written out as raw
 * text (so a body can hold what `JSON.stringify` never writes: duplicate keys, escapes of lone
 * surrogates, odd whitespace, nesting deeper than any stack), mutations of a valid body, ids, query
 * strings and header values. Every generated value is plain data, so a counterexample prints as
 * something that can be pasted into a regular test. At the end, a few oracles the suites share.
 */

// ---------------------------------------------------------------------------------------------
// Text

const chars = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i));

/** Emoji, ZWJ sequences, skin tones, flags, keycaps. */
export const EMOJI = ['😀', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🧑🏿‍🚀', '❤️', '1️⃣', '#️⃣', '🇫🇷', '👩‍❤️‍💋‍👨', '🫠', '📦', '🤷‍♀️'];
/** Right-to-left scripts and the bidi controls that flip what follows. */
export const RTL = ['שלום', 'مرحبا بالعالم', '\u202Eevil\u202C', '\u200Fמימין\u200E', 'ﷺ', 'عربي 123', '\u2067isolate\u2069'];
/** Combining marks: on a base, stacked, and alone at the start. */
export const COMBINING = ['e\u0301', 'Z\u0351\u0353\u0324\u0347\u0300', 'a\u0300\u0301\u0302\u0303\u0304\u0305\u0306', '\u0301x', 'n\u0303', '\u0e01\u0e34\u0e4a'];
/** C0 and C1 controls, DEL, line and paragraph separators, invisible and odd white space, non-characters. */
export const CONTROL = [...chars(0x01, 0x1f), '\u007f', '\u0085', '\u2028', '\u2029', '\u200b', '\u200d', '\ufeff', '\ufffe', '\uffff', '\u00a0', '\u3000', '\u180e'];
export const NUL = '\u0000';
/** Halves of UTF-16 pairs on their own, and a pair the wrong way round. */
export const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff', '\ude00\ud83d'];
/** Astral characters outside emoji: mathematical letters, CJK extension B, Gothic. */
export const ASTRAL = ['𝒜', '𝕏', '𠜎', '𐌰', '𝟘'];

/** Cyrillic and Greek (and a few other) look-alikes of Latin letters. */
export const HOMOGLYPHS: Record<string, readonly string[]> = {
  a: ['\u0430', '\u03b1'],
  c: ['\u0441', '\u03f2'],
  e: ['\u0435', '\u03b5'],
  i: ['\u0456', '\u0131'],
  j: ['\u0458'],
  o: ['\u043e', '\u03bf', '\u0585'],
  p: ['\u0440', '\u03c1'],
  s: ['\u0455', '\u017f'],
  x: ['\u0445', '\u03c7'],
  y: ['\u0443'],
  A: ['\u0410', '\u0391'],
  B: ['\u0412', '\u0392'],
  E: ['\u0415', '\u0395'],
  H: ['\u041d', '\u0397'],
  K: ['\u041a', '\u039a', '\u212a'],
  M: ['\u041c', '\u039c'],
  O: ['\u041e', '\u039f'],
  P: ['\u0420', '\u03a1'],
  T: ['\u0422', '\u03a4'],
  X: ['\u0425', '\u03a7'],
};

/** A lone surrogate, or NUL: text that no database stores as it was sent. */
export function isStorable(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return false;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i += 1;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
  }
  return true;
}

const loneSurrogate = fc.oneof(fc.constantFrom(...LONE_SURROGATES), fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)));

/** One piece of text of a chosen kind. */
export const fragment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  { weight: 2, arbitrary: fc.constantFrom(...EMOJI) },
  { weight: 1, arbitrary: fc.constantFrom(...RTL) },
  { weight: 1, arbitrary: fc.constantFrom(...COMBINING) },
  { weight: 1, arbitrary: fc.constantFrom(...CONTROL) },
  { weight: 1, arbitrary: fc.constantFrom(...ASTRAL) },
  { weight: 1, arbitrary: fc.constantFrom(...Object.values(HOMOGLYPHS).flat()) },
  { weight: 1, arbitrary: fc.constantFrom(' ', '  ', '\t', '\n', '"', '\\', '\\u0000', '</script>', "'; DROP TABLE agents; --", '%00', '${x}', '{{x}}') },
  { weight: 1, arbitrary: fc.constant(NUL) },
  { weight: 1, arbitrary: loneSurrogate },
);

/** Text made of a few fragments, at most a few dozen characters. */
export const shortText: fc.Arbitrary<string> = fc.array(fragment, { maxLength: 5 }).map((parts) => parts.join(''));

/** A fragment repeated to `min`–`max` UTF-16 units (cut where it ends, which may split a pair). */
export const longText = (min: number, max: number): fc.Arbitrary<string> =>
  fc.tuple(fc.oneof(fragment.filter((f) => f.length > 0), fc.constantFrom('a', 'é', '😀', '👨‍👩‍👧‍👦', ' ')), fc.integer({ min, max })).map(([unit, length]) =>
    unit.repeat(Math.ceil(length / unit.length)).slice(0, length),
  );

/** Text of every kind: mostly short, sometimes long, now and then around a limit of the rules. */
export const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: shortText },
  { weight: 1, arbitrary: longText(240, 270) },
  { weight: 1, arbitrary: longText(900, 1100) },
  { weight: 1, arbitrary: longText(1, 5000) },
);

/** Text that every rule of a display name accepts: not blank, short, storable. */
export const plainName: fc.Arbitrary<string> = fc
  .oneof(shortText, fc.constantFrom('Support', 'Customer Support Agent', 'Café 😀 𝒜 — 客服', 'שלום עולם', '  padded  ', 'A'.repeat(70), '1st line'))
  .filter((t) => t.trim().length > 0 && t.length <= 255 && isStorable(t));

// ---------------------------------------------------------------------------------------------
// JSON, written out as raw text

/** A JSON object written with its members in this order, duplicate names included. */
export class Members {
  constructor(readonly members: [string, JsonTree][]) {}
}
/** JSON text written into the output as it is (numbers JSON allows but JavaScript cannot hold, nesting built as text). */
export class RawJson {
  constructor(readonly raw: string) {}
}
export type JsonTree = null | boolean | number | string | JsonTree[] | Members | RawJson;

/** A plain object as a tree (members in insertion order; undefined members left out). */
export const members = (object: Record<string, unknown>): Members =>
  new Members(Object.entries(object).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toTree(v)]));

function toTree(value: unknown): JsonTree {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(toTree);
  if (value instanceof Members || value instanceof RawJson) return value;
  return members(value as Record<string, unknown>);
}

/** A deep copy of a tree. */
export function cloneTree(tree: JsonTree): JsonTree {
  if (Array.isArray(tree)) return tree.map(cloneTree);
  if (tree instanceof Members) return new Members(tree.members.map(([k, v]) => [k, cloneTree(v)]));
  return tree;
}

/** How a JSON text is written: all of them parse to the same value. */
export type JsonStyle = 'compact' | 'pretty' | 'ascii' | 'escaped' | 'spaced';
export const jsonStyle: fc.Arbitrary<JsonStyle> = fc.constantFrom('compact', 'compact', 'pretty', 'ascii', 'escaped', 'spaced');

const hex4 = (unit: number) => `\\u${unit.toString(16).padStart(4, '0')}`;

function writeString(value: string, style: JsonStyle): string {
  if (style === 'escaped') return `"${Array.from({ length: value.length }, (_, i) => hex4(value.charCodeAt(i))).join('')}"`;
  // Well-formed JSON.stringify writes a lone surrogate as its `\udXXX` escape.
  const json = JSON.stringify(value);
  return style === 'ascii' ? json.replace(/[^\x00-\x7f]/g, (ch) => hex4(ch.charCodeAt(0))) : json;
}

/** The JSON text of a tree; a RawJson node is written as it is. */
export function writeJson(tree: JsonTree, style: JsonStyle = 'compact', indent = ''): string {
  const gap = style === 'pretty' ? `\n${indent}  ` : style === 'spaced' ? ' \t' : '';
  const end = style === 'pretty' ? `\n${indent}` : style === 'spaced' ? '\r\n' : '';
  const colon = style === 'pretty' || style === 'spaced' ? ': ' : ':';
  const inner = `${indent}  `;
  if (tree === null || typeof tree === 'boolean') return String(tree);
  if (typeof tree === 'number') return Number.isFinite(tree) ? JSON.stringify(tree) : '0';
  if (typeof tree === 'string') return writeString(tree, style);
  if (Array.isArray(tree)) return tree.length === 0 ? '[]' : `[${gap}${tree.map((t) => writeJson(t, style, inner)).join(`,${gap}`)}${end}]`;
  if (tree instanceof RawJson) return tree.raw;
  if (tree.members.length === 0) return '{}';
  return `{${gap}${tree.members.map(([k, v]) => `${writeString(k, style)}${colon}${writeJson(v, style, inner)}`).join(`,${gap}`)}${end}}`;
}

/** Number texts JSON allows that surprise parsers: huge, tiny, negative zero, beyond 2^53. */
const oddNumber = fc.constantFrom('1e400', '-1e400', '-0', '0.1e-999', '123456789012345678901234567890', '1E2', '9007199254740993', '-0.0e+0');

/** A field name, ordinary or not. */
export const fieldName: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 1, arbitrary: shortText },
  { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', ' ', 'Name', 'name ', 'NAME', 'id', 'user_id', 'org_id', 'deleted_at', 'is_active', '$where') },
);

/** Any JSON value, nested at most `depth` deep (strings of every kind, duplicate keys, odd numbers). */
export const jsonTree = (depth = 3): fc.Arbitrary<JsonTree> =>
  fc.letrec<{ tree: JsonTree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', maxDepth: depth },
      fc.constant(null),
      fc.boolean(),
      fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
      oddNumber.map((raw) => new RawJson(raw)),
      text,
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.array(fc.tuple(fieldName, tie('tree')), { maxLength: 4 }).map((m) => new Members(m)),
    ),
  })).tree;

/** JSON text that is valid but enormous or deep: 1 MiB of `[`, long arrays, long chains of objects. */
export const hugeJson: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1_000, max: 400_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 1_000, max: 300_000 }).map((n) => `[${'0,'.repeat(n)}0]`),
  fc.integer({ min: 1_000, max: 50_000 }).map((n) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`),
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => `{${'"name":"x",'.repeat(n)}"name":"last"}`),
);

/** Deep nesting or a huge array placed inside an otherwise valid object, under `key`. */
export const deepMember = (key: fc.Arbitrary<string>): fc.Arbitrary<[string, JsonTree]> =>
  fc.tuple(
    key,
    fc.oneof(
      fc.integer({ min: 500, max: 200_000 }).map((n) => new RawJson(`${'['.repeat(n)}${']'.repeat(n)}`)),
      fc.integer({ min: 1_000, max: 100_000 }).map((n) => new RawJson(`[${'1,'.repeat(n)}1]`)),
    ),
  );

/** Bytes that are not JSON, or not UTF-8, or not text at all. */
export const junkBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.constantFrom('', ' ', 'null', '[]', '"x"', '42', 'true', '{', '{"a":1,}', "{'a':1}", '{"a":1}x', '{"a":1}{"b":2}', '\ufeff{}', 'NaN', '{"a":NaN}', '{"a":"\x01"}', '{"a":"\\x"}', '{"a":"\\ud800"}', '{"\\u0000":1}', '/**/{}'),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom([0xff], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0xc0, 0x80], [0xfe, 0xff]).map((bad) => Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bad), Buffer.from('"}')])),
  fc.constant(Buffer.from('{"name":"x"}', 'utf16le')),
  shortText,
);

// ---------------------------------------------------------------------------------------------
// Mutations of a valid body

export type Mutation =
  | { kind: 'drop'; field: string }
  | { kind: 'set'; field: string; value: JsonTree }
  | { kind: 'extra'; field: string; value: JsonTree }
  | { kind: 'duplicate'; field: string; value: JsonTree; before: boolean }
  | { kind: 'deep'; field: string; value: JsonTree };

/** A value of the wrong type (or an odd one of the right type). */
export const wrongValue: fc.Arbitrary<JsonTree> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  oddNumber.map((raw) => new RawJson(raw)),
  fc.constantFrom<JsonTree>('', ' ', [], new Members([]), ['x'], new Members([['x', 1]]), 'null', 'true', '0'),
  text,
  jsonTree(2),
);

/** One to three changes to a valid body's fields: dropped, retyped, nulled, duplicated, or joined by unknown ones. */
export const mutations = (fields: readonly string[]): fc.Arbitrary<Mutation[]> => {
  const field = fields.length > 0 ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: fieldName }) : fieldName;
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), field }),
    fc.record({ kind: fc.constant('set' as const), field, value: wrongValue }),
    fc.record({ kind: fc.constant('set' as const), field, value: fc.constant(null) }),
    fc.record({ kind: fc.constant('extra' as const), field: fieldName, value: jsonTree(2) }),
    fc.record({ kind: fc.constant('duplicate' as const), field, value: wrongValue, before: fc.boolean() }),
    deepMember(fieldName).map(([f, value]) => ({ kind: 'deep' as const, field: f, value })),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 3 });
};

/** A valid body with the mutations applied, as an object whose members keep their order. */
export function mutate(body: Members, changes: readonly Mutation[]): Members {
  let out: [string, JsonTree][] = [...body.members];
  for (const change of changes) {
    if (change.kind === 'drop') out = out.filter(([k]) => k !== change.field);
    else if (change.kind === 'set') {
      const at = out.findIndex(([k]) => k === change.field);
      if (at === -1) out.push([change.field, change.value]);
      else out[at] = [change.field, change.value];
    } else if (change.kind === 'duplicate') {
      const at = out.findIndex(([k]) => k === change.field);
      const pair: [string, JsonTree] = [change.field, change.value];
      if (at === -1) out.push(pair);
      else out.splice(change.before ? at : at + 1, 0, pair);
    } else {
      out.push([change.field, change.value]);
    }
  }
  return new Members(out);
}

/** A change somewhere inside a tree: which node (object or array, depth-first, modulo their number), what, and to which member. */
export interface DeepMutation {
  at: number;
  kind: 'drop' | 'set' | 'extra' | 'duplicate' | 'null';
  /** Which member or element of the node, modulo their number. */
  pick: number;
  /** The name of an added member. */
  key: string;
  value: JsonTree;
}
export const deepMutation: fc.Arbitrary<DeepMutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('drop', 'set', 'extra', 'duplicate', 'null'),
  pick: fc.nat(),
  key: fieldName,
  value: wrongValue,
});

/** The tree with the changes applied, at any depth (a copy; the tree is left as it was). */
export function mutateDeep(tree: JsonTree, changes: readonly DeepMutation[]): JsonTree {
  const copy = cloneTree(tree);
  for (const change of changes) {
    const nodes: (JsonTree[] | Members)[] = [];
    const walk = (node: JsonTree) => {
      if (Array.isArray(node)) {
        nodes.push(node);
        node.forEach(walk);
      } else if (node instanceof Members) {
        nodes.push(node);
        node.members.forEach(([, v]) => walk(v));
      }
    };
    walk(copy);
    const node = nodes[change.at % nodes.length];
    if (node === undefined) continue;
    const isArray = Array.isArray(node);
    const list: unknown[] = isArray ? node : node.members;
    const i = list.length === 0 ? 0 : change.pick % list.length;
    const entry = (name: string, value: JsonTree): unknown => (isArray ? value : [name, value]);
    const nameAt = (index: number) => (isArray ? '' : (list[index] as [string, JsonTree])[0]);
    if (change.kind === 'drop') list.splice(i, 1);
    else if (change.kind === 'extra') list.push(entry(change.key, change.value));
    else if (list.length === 0) continue;
    else if (change.kind === 'duplicate') list.splice(i, 0, entry(nameAt(i), change.value));
    else list[i] = entry(nameAt(i), change.kind === 'null' ? null : change.value);
  }
  return copy;
}

/** What a fuzzed request carries as its body, and how it was made (for the counterexample). */
export interface FuzzBody {
  how: 'valid' | 'mutated' | 'random' | 'huge' | 'junk' | 'none';
  /** A JSON value to write in `style`, or else the bytes to send as they are. */
  tree?: JsonTree;
  style?: JsonStyle;
  bytes?: string | Buffer;
}

/**
 * Bodies for a write route: a valid one written in some style, a valid one mutated, any JSON value,
 * enormous JSON, bytes that are not JSON, or none at all.
 */
export function bodies(valid: fc.Arbitrary<Members>, fields: readonly string[]): fc.Arbitrary<FuzzBody> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(valid, jsonStyle).map(([tree, style]): FuzzBody => ({ how: 'valid', tree, style })) },
    { weight: 6, arbitrary: fc.tuple(valid, mutations(fields), jsonStyle).map(([b, m, style]): FuzzBody => ({ how: 'mutated', tree: mutate(b, m), style })) },
    { weight: 1, arbitrary: fc.tuple(jsonTree(3), jsonStyle).map(([tree, style]): FuzzBody => ({ how: 'random', tree, style })) },
    { weight: 1, arbitrary: hugeJson.map((bytes): FuzzBody => ({ how: 'huge', bytes })) },
    { weight: 1, arbitrary: junkBody.map((bytes): FuzzBody => ({ how: 'junk', bytes })) },
    { weight: 1, arbitrary: fc.constant<FuzzBody>({ how: 'none' }) },
  );
}

/** Every string of a tree equal to a placeholder replaced by its value (the ids a case only knows when it runs). */
export function substitute(tree: JsonTree, values: Record<string, JsonTree>): JsonTree {
  if (typeof tree === 'string') return Object.hasOwn(values, tree) ? (values[tree] as JsonTree) : tree;
  if (Array.isArray(tree)) return tree.map((t) => substitute(t, values));
  if (tree instanceof Members) return new Members(tree.members.map(([k, v]) => [k, substitute(v, values)]));
  return tree;
}

/** The bytes of a fuzzed body, its placeholders filled in. */
export function render(body: FuzzBody, values: Record<string, JsonTree> = {}): string | Buffer | undefined {
  if (body.tree !== undefined) return writeJson(substitute(body.tree, values), body.style);
  return body.bytes;
}

/** The value a JSON text parses to, or undefined when it is not JSON (or not UTF-8). */
export function parsed(body: string | Buffer | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    const textOf = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
    return JSON.parse(textOf);
  } catch {
    return undefined;
  }
}

/** `{...}` of exactly `size` bytes: the body's JSON with spaces before its closing brace. */
export function padTo(json: string, size: number): Buffer {
  const bytes = Buffer.from(json);
  if (!json.endsWith('}') || bytes.length > size) throw new Error('cannot pad this body to that size');
  return Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.alloc(size - bytes.length, ' '), Buffer.from('}')]);
}

/** A body size just under, at, or just over the limit. */
export const sizeAroundLimit = fc.integer({ min: MAX_BODY_BYTES - 3, max: MAX_BODY_BYTES + 3 });

// ---------------------------------------------------------------------------------------------
// Field values

const hexDigit = fc.constantFrom(...'0123456789abcdef');
export const hex = (length: number) => fc.string({ unit: hexDigit, minLength: length, maxLength: length });
const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
const digit = fc.constantFrom(...'0123456789');

/** A valid R4 handle, long enough not to collide by chance. */
export const handle: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'), fc.string({ unit: alnum, minLength: 10, maxLength: 40 }))
  .map(([first, rest]) => first + rest);

/** A valid handle with some letters swapped for Cyrillic or Greek look-alikes. */
export const homoglyphHandle: fc.Arbitrary<string> = fc
  .tuple(handle, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), fc.nat())
  .map(([h, positions, pick]) => {
    const out = [...h];
    let swapped = false;
    for (const p of positions) {
      const at = p % out.length;
      const look = HOMOGLYPHS[out[at] as string];
      if (look) {
        out[at] = look[pick % look.length] as string;
        swapped = true;
      }
    }
    return swapped ? out.join('') : `${(HOMOGLYPHS.a as readonly string[])[0]}${h}`;
  });

/** Handles valid, look-alike, or malformed. */
export const anyHandle: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: handle },
  { weight: 2, arbitrary: homoglyphHandle },
  { weight: 1, arbitrary: fc.constantFrom('', '1abc', 'a-b', 'a b', 'wismo ', '_x', 'a'.repeat(65), 'a'.repeat(64), 'ǅungla', 'straße', 'İstanbul', 'ﬁle', 'Ａbc') },
  { weight: 1, arbitrary: shortText },
);

/** A valid R5 prompt_id, or one that is padded, empty, too long, or not ASCII. */
export const promptId: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom(...'abcXYZ019_.:-'), minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' prompt_v1', 'prompt_v1 ', 'prompt v1', 'p'.repeat(255), 'p'.repeat(256), 'prompt_é', 'prompt_\u0430', 'prompt_😀', 'prompt/../x') },
  { weight: 1, arbitrary: shortText },
);

/** Meta's numeric id of a number: random digits, long enough not to collide by chance. */
export const metaId: fc.Arbitrary<string> = fc.string({ unit: digit, minLength: 14, maxLength: 24 }).map((d) => `9${d}`);

/** A value that passes for an access token; every one carries a marker so a leak can be searched for. */
export const ACCESS_TOKEN_MARK = 'EAAGfz';
export const accessToken: fc.Arbitrary<string> = hex(20).map((h) => `${ACCESS_TOKEN_MARK}${h}`);

// ---------------------------------------------------------------------------------------------
// Ids, paths, query strings

/**
 * Percent-encodes text's UTF-8 (a lone surrogate becomes U+FFFD's bytes, as in any client), keeping
 * only unreserved characters: what is left is safe anywhere in a path or query.
 */
export function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A path segment: the given real ids, ids that look real, and segments that are anything but. */
export function pathId(prefix: string, real: readonly string[]): fc.Arbitrary<string> {
  const known = real.length > 0 ? [{ weight: 6, arbitrary: fc.constantFrom(...real) }] : [];
  return fc.oneof(
    ...known,
    { weight: 2, arbitrary: hex(24).map((h) => `${prefix}_${h}`) },
    { weight: 1, arbitrary: hex(24) },
    { weight: 1, arbitrary: shortText.map((t) => percentEncode(t)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%00',
        `${prefix}_%00`,
        '..',
        '%2e%2e',
        '%2F',
        'x%2Fy',
        '%ZZ',
        '%',
        '%ED%A0%80',
        '%F0%9F%98%80',
        '%C0%80',
        `${prefix}_`,
        'null',
        'undefined',
        '0',
        '-1',
        'a'.repeat(2000),
        `${prefix}_${'f'.repeat(200)}`,
        "'%20OR%201=1",
        '*',
        '$',
        '~',
      ),
    },
    ...(real.length > 0
      ? [
          { weight: 1, arbitrary: fc.constantFrom(...real).map((id) => id.toUpperCase()) },
          { weight: 1, arbitrary: fc.constantFrom(...real).map((id) => `${id}%20`) },
          { weight: 1, arbitrary: fc.constantFrom(...real).map((id) => id.slice(id.indexOf('_') + 1)) },
        ]
      : []),
  );
}

const QUERY_NAMES = ['limit', 'offset', 'cursor', 'phone_number_id', 'agent_id', 'platform', 'status', 'user_id', 'org_id', '__proto__', 'name'];

/** `''` or `?…`: names the routes know and names they do not, repeated, empty, percent-encoded junk. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...QUERY_NAMES), fieldName.map((n) => percentEncode(n))),
          fc.oneof(shortText.map((t) => percentEncode(t)), fc.constantFrom('', '1', '-1', '1e2', '%', '%%', '%00', '%ZZ', '%ED%A0%80', '0x10', 'a'.repeat(3000))),
        ),
        { minLength: 1, maxLength: 4 },
      )
      .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('?', '?&', '?=', '?a', '?a=1&a=2', '?limit=1&limit=2', '?%', '?[]=1', '?a[b]=c', '?;x=1') },
);

// ---------------------------------------------------------------------------------------------
// Headers

/** What node:http lets a client put in a header value: tab, printable ASCII and Latin-1 bytes. */
const headerChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.constant(0x09) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
).map((c) => String.fromCharCode(c));
export const headerValue = (maxLength = 64) => fc.string({ unit: headerChar, maxLength });

/** Content types: JSON in its spellings, look-alikes, other types, none. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json;charset=UTF-8',
      'application/vnd.api+json',
      'application/merge-patch+json',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      ' application/json ',
      'application/json, text/plain',
      'application/jsonx',
      'application/x-json',
      'text/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      '',
      '*/*',
      'application/*',
      'json',
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: headerValue(40) },
);

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

/** Idempotency-Key values: valid (1–128 printable ASCII), empty, too long, tabs or Latin-1 inside, or none. */
export const idempotencyKey: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.string({ unit: printable, minLength: 1, maxLength: 128 }).filter((k) => k.trim().length > 0) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.string({ unit: printable, minLength: 129, maxLength: 300 }).filter((k) => k.trim().length > 128) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'a\tb', 'caf\u00e9', '\u00ff', 'x'.repeat(128), 'x'.repeat(129)) },
  { weight: 1, arbitrary: headerValue(140) },
);

/** X-Request-ID values: well-formed, too long, with characters outside the pattern, or none. */
export const requestId: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'abcXYZ019._:-'), minLength: 1, maxLength: 128 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'abcXYZ019._:-'), minLength: 129, maxLength: 4000 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'abc%0d%0aSet-Cookie:%20x=1', 'abc%0AX-Evil:1', '<script>', 'req id', 'req\tid', '../../etc', 'r\u00e9q', 'a'.repeat(128), 'a'.repeat(129)) },
  { weight: 1, arbitrary: headerValue(200) },
);

/** Header values as the server sees them: node:http drops leading and trailing spaces and tabs. */
export const onTheWire = (value: string) => value.replace(/^[\t ]+|[\t ]+$/g, '');

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** §2: the X-Request-ID a request sent that the gateway adopts (as the server sees it), or null. */
export function adoptedRequestId(sent: string | undefined): string | null {
  return sent !== undefined && REQUEST_ID.test(onTheWire(sent)) ? onTheWire(sent) : null;
}

/** §2: whether a response's X-Request-ID is the one the request sent, when adopted, or a new `req_` id. */
export function requestIdMatches(sent: string | undefined, answered: string | undefined): boolean {
  if (answered === undefined) return false;
  const adopted = adoptedRequestId(sent);
  return adopted !== null ? answered === adopted : /^req_[0-9a-f]{16}$/.test(answered);
}

/** Idempotency-Key values the contract accepts (as the server sees them). */
export const isValidIdempotencyKey = (key: string) => /^[\x20-\x7e]{1,128}$/.test(onTheWire(key));

/**
 * Header lines that try to smuggle a second header (or a second response) into X-Request-ID: CR,
 * LF, CRLF, obsolete line folding, NUL. Written to the socket as they are.
 */
export const injectedRequestIdLine: fc.Arbitrary<string> = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...'abc019._:-'), minLength: 1, maxLength: 20 }),
    fc.constantFrom('\r\n', '\n', '\r', '\r\n ', '\r\n\t', '\u0000', '\r\n\r\n'),
    fc.constantFrom('X-Evil: 1', 'Set-Cookie: session=evil', 'HTTP/1.1 200 OK', 'Content-Length: 0', 'continued', ' '),
  )
  .map(([id, breaker, tail]) => `X-Request-ID: ${id}${breaker}${tail}`);

// ---------------------------------------------------------------------------------------------
// Oracles the suites share

/** Whether any of the secrets occurs in any of the texts. */
export function leakedSecret(secrets: Iterable<string>, ...texts: string[]): string | null {
  for (const secret of secrets) {
    for (const text of texts) if (text.includes(secret)) return secret;
  }
  return null;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

/**
 * Sends request heads (and bodies) written byte for byte over one TCP connection, each after the
 * previous answer has been read in full, and reads the answers (Content-Length or chunked). The
 * list ends early when the server closed the connection.
 */
export function rawSession(port: number, requests: (string | Buffer)[], timeoutMs = 5_000): Promise<{ answers: RawAnswer[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const answers: RawAnswer[] = [];
    let buffer = Buffer.alloc(0);
    let next = 0;
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`raw session timed out after ${answers.length} answers`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answers, closed });
    };
    const send = () => {
      if (next >= requests.length) return finish();
      socket.write(requests[next++] as string | Buffer);
    };
    const parse = (): boolean => {
      const headEnd = buffer.indexOf('\r\n\r\n');
      if (headEnd === -1) return false;
      const lines = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
      const status = Number((lines[0] ?? '').split(' ')[1]);
      const headers: Record<string, string[]> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        (headers[name] ??= []).push(line.slice(colon + 1).trim());
      }
      let rest = buffer.subarray(headEnd + 4);
      let body: Buffer;
      if (headers['transfer-encoding']?.[0]?.toLowerCase() === 'chunked') {
        const parts: Buffer[] = [];
        for (;;) {
          const lineEnd = rest.indexOf('\r\n');
          if (lineEnd === -1) return false;
          const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
          if (rest.length < lineEnd + 2 + size + 2) return false;
          if (size === 0) {
            rest = rest.subarray(lineEnd + 4);
            break;
          }
          parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
          rest = rest.subarray(lineEnd + 2 + size + 2);
        }
        body = Buffer.concat(parts);
      } else {
        const length = Number(headers['content-length']?.[0] ?? (closed ? rest.length : 0));
        if (rest.length < length) return false;
        body = rest.subarray(0, length);
        rest = rest.subarray(length);
      }
      buffer = rest;
      answers.push({ status, headers, body: body.toString() });
      return true;
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (parse()) {
        if ((answers.at(-1)?.headers.connection?.[0] ?? '').toLowerCase() === 'close') return finish();
        send();
      }
    });
    socket.on('error', () => {
      closed = true;
      finish();
    });
    socket.on('end', () => {
      closed = true;
      if (buffer.length > 0) parse();
      finish();
    });
  });
}

/**
 * One case of the raw X-Request-ID injection property, shared by both dialects: `head` is the
 * dialect's write request with `line` among its headers, sent on a raw kept-alive socket (followed by
 * a health probe unless the line ends the head early and smuggles a request of its own, whose id is
 * added to `abandoned`). Never a 5xx, never an injected header, ids only of the allowed shape, the
 * dialect's error shape, node:http's own 400 with `Connection: close` for bytes that are not HTTP,
 * the connection still serving the probe, nothing written by a refusal, no secret in any body.
 */
export async function checkInjectedRequestId(
  world: { port: number; snapshot: () => Promise<unknown> },
  { head, line, isDialectError, abandoned, secrets }: { head: string; line: string; isDialectError: (status: number, body: unknown) => boolean; abandoned: Set<string>; secrets: Iterable<string> },
): Promise<void> {
  const before = await world.snapshot();
  // After an empty line the rest is body and then a malformed request of its own: node:http answers
  // that one 400 and drops the connection under the first, so nothing can follow it.
  const smuggled = line.includes('\r\n\r\n');
  if (smuggled) abandoned.add(line.slice('X-Request-ID: '.length, line.indexOf('\r')));
  const { answers } = await rawSession(world.port, smuggled ? [head] : [head, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n']);
  const first = answers[0];
  expect(first, 'an answer to the request').toBeDefined();
  if (!first) return;
  expect(first.status).toBeLessThan(500);
  expect(first.headers['x-evil']).toBeUndefined();
  expect(first.headers['set-cookie']).toBeUndefined();
  for (const id of first.headers['x-request-id'] ?? []) expect(id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  const gateway = first.headers['x-request-id'] !== undefined;
  if (gateway && first.status >= 300) expect(isDialectError(first.status, JSON.parse(first.body))).toBe(true);
  if (!gateway) {
    // node:http refused bytes that are not HTTP before any route saw them: 400, and it says it closes.
    expect(first.status).toBe(400);
    expect(first.headers.connection?.[0]).toBe('close');
  } else if (!smuggled && (first.headers.connection?.[0] ?? '') !== 'close') {
    expect(answers[1]?.status, 'the next request on the same connection').toBe(200);
  }
  if (first.status !== 200) expect(await world.snapshot()).toEqual(before);
  expect(leakedSecret(secrets, ...answers.map((a) => a.body))).toBeNull();
}

/**
 * A 2xx sent again under its Idempotency-Key: the stored answer, byte for byte, marked replayed, and
 * nothing written. §7: the stored body keeps its request id; the header is the new request's.
 */
export async function expectReplayed(
  world: World,
  { request, answer, requestId, after, context }: { request: RawRequest; answer: Answer; requestId: string | undefined; after: unknown; context: string },
): Promise<void> {
  const replay = await world.request(request);
  expect(replay.status, context).toBe(answer.status);
  expect(replay.text, context).toBe(answer.text);
  expect(replay.headers['idempotent-replayed']).toBe('true');
  expect(requestIdMatches(requestId, replay.headers['x-request-id'] as string | undefined), context).toBe(true);
  if (adoptedRequestId(requestId) === null) expect(replay.headers['x-request-id']).not.toBe(answer.headers['x-request-id']);
  expect(await world.snapshot(), context).toEqual(after);
}
