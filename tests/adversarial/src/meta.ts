import { createHmac } from 'node:crypto';

/** Deliveries as Meta posts them to `/webhooks/meta`, for the suites that play Meta. */

/** A WhatsApp text message as it appears in `value.messages[]`. */
export function whatsappText(from: string, id: string, text: string, timestamp = String(Math.floor(Date.now() / 1000))) {
  return { from, id, timestamp, type: 'text', text: { body: text } };
}

/** One entry with one `messages` change to a number: the given messages, and status callbacks if any. */
export function whatsappDelivery(metaId: string, messages: readonly object[], statuses: readonly object[] = []): Record<string, unknown> {
  const first = messages[0] as { from?: string } | undefined;
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550100100', phone_number_id: metaId },
              ...(messages.length > 0 ? { contacts: [{ profile: { name: 'Customer' }, wa_id: first?.from ?? '0' }], messages } : {}),
              ...(statuses.length > 0 ? { statuses } : {}),
            },
          },
        ],
      },
    ],
  };
}

/** `X-Hub-Signature-256` of a raw body. */
export const signature = (body: string | Buffer, secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** A signed `POST /webhooks/meta` of a delivery. */
export function signedWebhook(delivery: unknown, secret: string): { method: string; path: string; headers: Record<string, string>; body: string } {
  const body = JSON.stringify(delivery);
  return { method: 'POST', path: '/webhooks/meta', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature(body, secret) }, body };
}
