import { createHmac } from 'node:crypto';
import type { Actor, Conversation, Message, UnitOfWork } from '@gateway/core';
import type { GatewayServices } from '@gateway/http';
import { createTestGateway, type TestGateway } from '@gateway/http/testing';
import { createWebhookApp, type WebhookLogger } from '../../src/webhooks/app';

export const APP_SECRET = 'test-app-secret-3c1f0d9e';
export const VERIFY_TOKEN = 'test-verify-token-8a2b';
export const PATH = '/webhooks/meta';

/** Computed here, independently of the app's own signing code. */
export function sign(body: string | Uint8Array, secret = APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface LogLine {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  message: string;
}

export function recordingLogger(): WebhookLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
  };
}

type WebhookApp = ReturnType<typeof createWebhookApp>;

/** POSTs a delivery signed over exactly the bytes sent, unless told otherwise. */
export function deliver(
  app: WebhookApp,
  body: string | object,
  options: { signature?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const signature = options.signature === undefined ? sign(raw) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return Promise.resolve(app.request(PATH, { method: 'POST', headers, body: raw }));
}

/** A gateway world, the webhook app over it, the log it writes, and ways to read what was stored. */
export async function webhookWorld() {
  const gw = await createTestGateway();
  const logger = recordingLogger();
  const app = createWebhookApp(gw.services, { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN, logger });
  const key = await gw.core.authenticate({ uow: gw.uow, token: gw.tokens.full });
  if (!key) throw new Error('the seeded key does not authenticate');
  /** The whole org (org dialect) and Alice's and Bob's own numbers (legacy dialect). */
  const actors = { org: gw.core.actorFor(key), alice: gw.core.actorFor(key, gw.alice.id), bob: gw.core.actorFor(key, gw.bob.id) };
  const ctx = (actor: Actor = actors.org) => ({ actor, uow: gw.uow });
  const all = { kind: 'offset' as const, limit: 100, offset: 0 };

  let agents = 0;
  return {
    gw,
    app,
    logger,
    actors,
    ctx,
    /** An agent on a number, made through the core as either dialect would. */
    createAgent: (phoneNumberId: string, name = `Agent ${++agents}`) =>
      gw.core.createAgent({ ctx: ctx(), input: { name, instructions: 'Help customers with their orders.', phoneNumberId } }),
    conversations: async (phoneNumberId: string, actor: Actor = actors.org): Promise<Conversation[]> =>
      (await gw.core.listConversations({ ctx: ctx(actor), filter: { phoneNumberId }, page: all })).items,
    messages: async (conversationId: string, actor: Actor = actors.org): Promise<Message[]> =>
      (await gw.core.listMessages({ ctx: ctx(actor), conversationId, page: all })).items,
    /** Every message stored on a number, whatever its conversation. */
    messagesOn: async (phoneNumberId: string): Promise<Message[]> => {
      const conversations = (await gw.core.listConversations({ ctx: ctx(), filter: { phoneNumberId }, page: all })).items;
      const lists = await Promise.all(conversations.map((c) => gw.core.listMessages({ ctx: ctx(), conversationId: c.id, page: all })));
      return lists.flatMap((l) => l.items);
    },
  };
}

export type WebhookWorld = Awaited<ReturnType<typeof webhookWorld>>;
export type { TestGateway };

// ---------------------------------------------------------------------------------------------
// Deliveries built in code, shaped like the fixtures.

let sequence = 0;
/** A WhatsApp message id that no other test uses. */
export const wamid = (tag = 'm') => `wamid.TEST${process.pid}${Date.now().toString(36)}${(++sequence).toString(36)}${tag}`;

export interface WhatsAppMessageSpec {
  from: string;
  id?: string;
  text?: string;
}

export function whatsappText({ from, id = wamid(), text = 'Hello' }: WhatsAppMessageSpec) {
  return { from, id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } };
}

/** One entry, one change, the given messages to one number. */
export function whatsappDelivery(phoneNumberId: string, messages: object[], extra: Record<string, unknown> = {}) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550100100', phone_number_id: phoneNumberId },
              contacts: [{ profile: { name: 'Customer' }, wa_id: (messages[0] as { from?: string } | undefined)?.from ?? '0' }],
              messages,
              ...extra,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

/**
 * Services whose unit of work fails the `failOn`-th message insert of a write, inside the
 * transaction: what a crash or a lost database connection part-way through a batch looks like.
 */
export function servicesFailingOnMessageInsert(services: GatewayServices, failOn: number): GatewayServices & { state: { failures: number } } {
  const inner = services.uow;
  const state = { failures: 0 };
  const uow: UnitOfWork = {
    read: (work) => inner.read(work),
    write: (work) =>
      inner.write((repos) => {
        let inserts = 0;
        return work({
          ...repos,
          messages: {
            ...repos.messages,
            insert: async (message) => {
              inserts += 1;
              if (inserts === failOn) {
                state.failures += 1;
                throw new Error('disk I/O error: SQLITE_IOERR (simulated) at /var/lib/gateway/gateway.db');
              }
              return repos.messages.insert(message);
            },
          },
        });
      }),
  };
  return { ...services, uow, state };
}
