import { readFileSync } from 'node:fs';

export type FixtureName =
  | 'whatsapp-text'
  | 'whatsapp-batch'
  | 'whatsapp-statuses'
  | 'whatsapp-non-text'
  | 'instagram-messaging'
  | 'instagram-changes'
  | 'page-object';

/** The fixture's bytes exactly as stored: pretty-printed, with Meta's `\uXXXX` escapes. */
export function fixtureText(name: FixtureName): string {
  return readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
}

/** A fresh parsed copy of the fixture, safe to modify. */
export function fixture(name: FixtureName): Record<string, any> {
  return JSON.parse(fixtureText(name)) as Record<string, any>;
}

/** What the `whatsapp-non-text` fixture's messages become: their type and placeholder text, in order. */
export const NON_TEXT_STORED: [type: string, text: string][] = [
  ['image', '[image] Scratch on the lid'],
  ['audio', '[audio]'],
  ['video', '[video]'],
  ['document', '[document] Invoice'],
  ['sticker', '[sticker]'],
  ['location', '[location] Pablo Morales, 1 Hacker Way, Menlo Park, CA 94025'],
  ['contacts', '[contacts]'],
  ['interactive', '[interactive] Change'],
  ['button', '[button] Stop promotions'],
  ['reaction', '[reaction] 👍'],
  ['unsupported', '[unsupported]'],
];
