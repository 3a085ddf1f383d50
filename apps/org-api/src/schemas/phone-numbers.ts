import { z } from '@hono/zod-openapi';
import type { PhoneNumber } from '@gateway/core';
import { iso, Timestamp } from './common';

/** A phone number (a channel) of the org. The access token is write-only and never returned. */
export const PhoneNumberSchema = z
  .object({
    id: z.string().openapi({ example: 'pn_6a39a4f1c0ef2ec711ef6dc1' }),
    user_id: z.string().openapi({ description: 'The user who owns the number.' }),
    platform: z.enum(['whatsapp', 'instagram']),
    meta_phone_number_id: z.string().openapi({ example: '106540352242922' }),
    display_name: z.string().nullable(),
    waba_id: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('PhoneNumber');
export type PhoneNumberView = z.infer<typeof PhoneNumberSchema>;

export function toPhoneNumber(p: PhoneNumber): PhoneNumberView {
  return {
    id: p.id,
    user_id: p.userId,
    platform: p.platform,
    meta_phone_number_id: p.metaPhoneNumberId,
    display_name: p.displayName,
    waba_id: p.wabaId,
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
  };
}
