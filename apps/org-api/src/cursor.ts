import type { SortKey } from '@gateway/core';

/** The lists that page by cursor; a cursor of one list is not accepted by another. */
export type CursorList = 'agents' | 'phone_numbers' | 'conversations' | 'messages';

const PAYLOAD = /^v1:(agents|phone_numbers|conversations|messages):(0|[1-9][0-9]{0,15}):([A-Za-z0-9_-]{1,64})$/;
const BASE64URL = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * Cursors are opaque to clients: base64url of the core's sort key (time or sequence, then id) and
 * the list it belongs to. Nothing about them is part of the contract.
 */
export function encodeCursor(list: CursorList, key: SortKey): string {
  return Buffer.from(`v1:${list}:${key.at}:${key.id}`, 'utf8').toString('base64url');
}

/** The sort key of a cursor this list handed out, or null for anything else. */
export function decodeCursor(list: CursorList, cursor: string): SortKey | null {
  if (!BASE64URL.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // Only the canonical encoding is accepted, so one position has exactly one cursor.
  if (Buffer.from(text, 'utf8').toString('base64url') !== cursor) return null;
  const match = PAYLOAD.exec(text);
  if (!match || match[1] !== list) return null;
  const at = Number(match[2]);
  if (!Number.isSafeInteger(at)) return null;
  return { at, id: match[3] as string };
}
