import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '@gateway/platform';

export type SignatureCheck = 'valid' | 'missing' | 'malformed' | 'mismatch';

const HEADER = /^sha256=([0-9a-fA-F]{64})$/;

/** `sha256=` + the hex HMAC-SHA256 of the raw body under the app secret, as Meta sends it. */
export function metaSignature(rawBody: Uint8Array | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/**
 * Checks `X-Hub-Signature-256` against the raw request bytes. The hex digests are compared in
 * constant time; the header's shape is checked first, so a malformed one never reaches the compare.
 */
export function checkMetaSignature(rawBody: Uint8Array, header: string | undefined, appSecret: string): SignatureCheck {
  if (header === undefined || header.trim() === '') return 'missing';
  const match = HEADER.exec(header.trim());
  if (match === null) return 'malformed';
  const expected = metaSignature(rawBody, appSecret).slice('sha256='.length);
  return constantTimeEqual(match[1]!.toLowerCase(), expected) ? 'valid' : 'mismatch';
}
