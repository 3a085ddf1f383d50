import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Seals secrets at rest (phone numbers' access tokens). */
export interface SecretCipher {
  seal(plain: string): string;
  open(sealed: string): string;
}

const VERSION = 'v1';

/**
 * AES-256-GCM with a random 96-bit nonce per secret. Sealed form: `v1.<nonce>.<tag>.<ciphertext>`,
 * each part base64url.
 */
export function aesGcmCipher(keyHex: string): SecretCipher {
  if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) throw new Error('encryption key must be 64 hex characters (32 bytes)');
  const key = Buffer.from(keyHex, 'hex');
  return {
    seal(plain) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, nonce.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, nonce, tag, data] = sealed.split('.');
      if (version !== VERSION || nonce === undefined || tag === undefined || data === undefined) {
        throw new Error('unrecognised sealed secret');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

export function generateKeyHex(): string {
  return randomBytes(32).toString('hex');
}
