import { describe, expect, it } from 'vitest';
import { PLATFORM_LIMITS, splitReply } from '../../src/runtime/split';

// Contract §8, "The send": a reply longer than the platform's limit (WhatsApp 4096, Instagram 1000
// characters) is sent as several messages, split at paragraph or sentence boundaries.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
const squeeze = (s: string) => s.replace(/\s+/g, '');

/** What holds for every split: in order, nothing lost but whitespace at cuts, none empty, none too long, no broken pair. */
function expectSound(text: string, parts: string[], limit: number, measure: (s: string) => number = (s) => s.length) {
  for (const part of parts) {
    expect(part.trim()).toBe(part);
    expect(part).not.toBe('');
    expect(measure(part)).toBeLessThanOrEqual(limit);
    expect(part).not.toMatch(LONE_SURROGATE);
  }
  expect(squeeze(parts.join(''))).toBe(squeeze(text));
}

describe('splitReply', () => {
  it('keeps a reply that fits as one part, trimmed', () => {
    expect(splitReply('  Monday we open at 9.\n', 4096)).toEqual(['Monday we open at 9.']);
    expect(splitReply('x'.repeat(4096), 4096)).toEqual(['x'.repeat(4096)]);
  });

  it('gives no part at all for a blank reply', () => {
    expect(splitReply('', 10)).toEqual([]);
    expect(splitReply(' \n\n\t ', 10)).toEqual([]);
  });

  it('has the platform limits of §8', () => {
    expect(PLATFORM_LIMITS).toEqual({ whatsapp: 4096, instagram: 1000 });
  });

  it('cuts at the last paragraph break that fits, even when a sentence end comes later', () => {
    const text = 'First paragraph. Still first.\n\nSecond paragraph is here. And it goes on.';
    expect(splitReply(text, 50)).toEqual(['First paragraph. Still first.', 'Second paragraph is here. And it goes on.']);
  });

  it('packs several paragraphs into one part when they fit', () => {
    const text = 'One.\n\nTwo.\n\nThree is longer than the others.';
    expect(splitReply(text, 35)).toEqual(['One.\n\nTwo.', 'Three is longer than the others.']);
  });

  it('cuts after the last sentence that fits when no paragraph break does', () => {
    const text = 'We open at nine. We close at five! Is that late enough? Sundays we rest.';
    expect(splitReply(text, 40)).toEqual(['We open at nine. We close at five!', 'Is that late enough? Sundays we rest.']);
  });

  it('keeps closing quotes and brackets with their sentence', () => {
    expect(splitReply('She said "Yes." Then she left the shop.', 24)).toEqual(['She said "Yes."', 'Then she left the shop.']);
  });

  it('counts a line break as a sentence end', () => {
    expect(splitReply('Opening hours\nMon to Fri nine to five', 25)).toEqual(['Opening hours', 'Mon to Fri nine to five']);
  });

  it('cuts after a CJK full stop, which takes no space after it', () => {
    const text = '営業時間は九時からです。日曜日は休みです。';
    expect(splitReply(text, 15)).toEqual(['営業時間は九時からです。', '日曜日は休みです。']);
  });

  it('cuts at the last space when a sentence is longer than the limit', () => {
    expect(splitReply('the quick brown fox jumps over the lazy dog', 16)).toEqual(['the quick brown', 'fox jumps over', 'the lazy dog']);
  });

  it('cuts a word only when there is no space at all, at the limit', () => {
    expect(splitReply('https://example.com/a/very/long/path', 10)).toEqual(['https://ex', 'ample.com/', 'a/very/lon', 'g/path']);
  });

  it('never cuts inside a surrogate pair', () => {
    const text = '😀'.repeat(10); // 20 UTF-16 units
    const parts = splitReply(text, 5);
    expect(parts).toEqual(['😀😀', '😀😀', '😀😀', '😀😀', '😀😀']);
    expectSound(text, parts, 5);
  });

  it('never cuts inside a combined emoji (a grapheme of several code points)', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 UTF-16 units
    const text = `ab${family}${family}`;
    const parts = splitReply(text, 16); // room for the first family and half of the second
    expect(parts).toEqual([`ab${family}`, family]);
  });

  it('measures UTF-8 bytes when asked (Meta documents Instagram as 1000 bytes)', () => {
    const text = Array.from({ length: 120 }, () => 'Спасибо').join(' '); // 959 characters, 1799 bytes
    expect(splitReply(text, 1000)).toEqual([text]);
    const parts = splitReply(text, 1000, 'byte');
    expect(parts.length).toBe(2);
    expectSound(text, parts, 1000, utf8);
  });

  it('splits a long WhatsApp reply into parts of at most 4096 characters, at paragraph breaks, in order', () => {
    const paragraphs = Array.from({ length: 12 }, (_, i) => `Paragraph ${i + 1}. ${'Lorem ipsum dolor sit amet. '.repeat(30).trim()}`);
    const text = paragraphs.join('\n\n');
    const parts = splitReply(text, PLATFORM_LIMITS.whatsapp);
    // About 850 characters a paragraph: four fit in 4096, five do not.
    expect(parts.map((part) => part.split('\n\n').length)).toEqual([4, 4, 4]);
    expectSound(text, parts, 4096);
    // Every part is made of whole paragraphs.
    for (const part of parts) for (const paragraph of part.split('\n\n')) expect(paragraphs).toContain(paragraph);
    expect(parts.join('\n\n')).toBe(text);
  });

  it('refuses a limit too small to hold any character', () => {
    expect(() => splitReply('hello', 3)).toThrow(RangeError);
    expect(() => splitReply('hello', 10.5)).toThrow(RangeError);
  });

  it('holds its invariants on many generated replies (seeded)', () => {
    let seed = 20_260_301;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const tokens = ['word', 'longerword', 'a', '.', '!', '?', ' ', ' ', ' ', '\n', '\n\n', '😀', '👨‍👩‍👧', 'é', 'é', '。', '谢谢', '"', 'https://x.example/p?q=1'];
    for (let run = 0; run < 400; run += 1) {
      const length = 1 + Math.floor(random() * 80);
      const text = Array.from({ length }, () => tokens[Math.floor(random() * tokens.length)]).join('');
      const limit = 4 + Math.floor(random() * 40);
      const unit = random() < 0.5 ? 'char' : 'byte';
      const parts = splitReply(text, limit, unit);
      expectSound(text, parts, limit, unit === 'byte' ? utf8 : undefined);
      if (text.trim() !== '' && (unit === 'byte' ? utf8(text.trim()) : text.trim().length) <= limit) expect(parts).toEqual([text.trim()]);
    }
  });
});
