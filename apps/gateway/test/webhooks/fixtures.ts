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
