import { sign } from '@gateway/gateway/testing/webhooks';

/** A signed `POST /webhooks/meta` of a delivery (built with the gateway's webhook test helpers). */
export function signedWebhook(delivery: unknown, secret: string): { method: string; path: string; headers: Record<string, string>; body: string } {
  const body = JSON.stringify(delivery);
  return { method: 'POST', path: '/webhooks/meta', headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body, secret) }, body };
}
