import type { Actor, Message } from '@gateway/core';
import { createTestGateway } from '@gateway/http/testing';
import { createGraphClient } from '../../src/runtime/graph';
import { createMetrics } from '../../src/runtime/metrics';
import { createModelClient } from '../../src/runtime/model';
import { startReplyWorker, type ReplyWorker, type ReplyWorkerOptions } from '../../src/runtime/worker';
import { createWebhookApp } from '../../src/webhooks/app';
import { fakeGraphApi, fakeResponsesApi } from '../fakes';
import { APP_SECRET, deliver, VERIFY_TOKEN, wamid, whatsappDelivery, whatsappText } from '../webhooks/helpers';

export const OPENAI_KEY = 'sk-test-4f9a2c7e1b8d6035';

export interface WorldOptions {
  debounceMs?: number;
  maxWaitMs?: number;
  worker?: Partial<Omit<ReplyWorkerOptions, 'core' | 'uow' | 'model' | 'graph' | 'logger'>>;
  /** Start no worker: the test starts its own with `startWorker`. */
  noWorker?: boolean;
  modelTimeoutMs?: number;
  graphTimeoutMs?: number;
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/**
 * A gateway world with replies on: the seeded org (Alice's WhatsApp number, Bob's Instagram
 * account), the webhook, fake Responses and Graph APIs on loopback driven through the real `openai`
 * SDK and `fetch`, and reply workers over the same storage (`GATEWAY_TEST_STORAGE` picks it).
 */
export async function replyWorld(options: WorldOptions = {}) {
  const debounceMs = options.debounceMs ?? 40;
  const gw = await createTestGateway({ replies: { debounceMs, maxWaitMs: options.maxWaitMs ?? 1000 } });
  const model = await fakeResponsesApi();
  const graph = await fakeGraphApi();
  model.setDefault({ text: 'Your order ships tomorrow.' });
  const logs: LogEntry[] = [];
  const logger = {
    info: (fields: Record<string, unknown>, message: string) => void logs.push({ level: 'info', fields, message }),
    warn: (fields: Record<string, unknown>, message: string) => void logs.push({ level: 'warn', fields, message }),
    error: (fields: Record<string, unknown>, message: string) => void logs.push({ level: 'error', fields, message }),
  };
  const metrics = createMetrics(() => gw.core.replyQueueDepth({ uow: gw.uow }));
  const workers: ReplyWorker[] = [];
  const startWorker = (extra: WorldOptions['worker'] = {}) => {
    const worker = startReplyWorker({
      core: gw.core,
      uow: gw.uow,
      model: createModelClient({ apiKey: OPENAI_KEY, baseURL: model.baseURL, defaultModel: 'gpt-5-mini', timeoutMs: options.modelTimeoutMs ?? 2000 }),
      graph: createGraphClient({ baseUrl: graph.baseUrl, version: 'v24.0', timeoutMs: options.graphTimeoutMs ?? 1000 }),
      logger,
      metrics,
      concurrency: 4,
      history: 20,
      leaseMs: 3000,
      pollMs: 25,
      retry: { baseMs: 10, maxDelayMs: 40 },
      ...options.worker,
      ...extra,
    });
    workers.push(worker);
    return worker;
  };
  if (!options.noWorker) startWorker();
  const app = createWebhookApp(gw.services, {
    appSecret: APP_SECRET,
    verifyToken: VERIFY_TOKEN,
    logger,
    onEnqueued: () => workers.forEach((w) => w.wake(debounceMs + 5)),
  });
  const key = await gw.core.authenticate({ uow: gw.uow, token: gw.tokens.full });
  if (!key) throw new Error('the seeded key does not authenticate');
  const actor: Actor = gw.core.actorFor(key);
  const ctx = { actor, uow: gw.uow };
  const all = { kind: 'offset' as const, limit: 100, offset: 0 };

  const world = {
    gw,
    model,
    graph,
    logs,
    metrics,
    app,
    startWorker,
    ctx,
    createAgent: (phoneNumberId: string, input: Record<string, unknown> = {}) =>
      gw.core.createAgent({ ctx, input: { name: 'Front desk', instructions: 'Answer questions about orders.', phoneNumberId, ...input } }),
    /** A signed WhatsApp delivery of text messages from one customer to Alice's number. */
    whatsapp: (texts: string[], from = '15551230001', ids: string[] = texts.map(() => wamid())) =>
      deliver(app, whatsappDelivery(gw.numbers.alice.metaPhoneNumberId, texts.map((text, i) => whatsappText({ from, text, id: ids[i]! })))),
    /** A signed Instagram delivery of one text message to Bob's account. */
    instagram: (text: string, from = '9988776655443322', mid = `aWdfIG${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`) =>
      deliver(app, {
        object: 'instagram',
        entry: [
          {
            id: gw.numbers.bob.metaPhoneNumberId,
            time: Date.now(),
            messaging: [{ sender: { id: from }, recipient: { id: gw.numbers.bob.metaPhoneNumberId }, timestamp: Date.now(), message: { mid, text } }],
          },
        ],
      }),
    /** A signed WhatsApp status callback. */
    status: (statuses: object[]) =>
      deliver(app, whatsappDelivery(gw.numbers.alice.metaPhoneNumberId, [], { statuses })),
    messages: async (phoneNumberId: string): Promise<Message[]> => {
      const conversations = (await gw.core.listConversations({ ctx, filter: { phoneNumberId }, page: all })).items;
      const lists = await Promise.all(conversations.map((c) => gw.core.listMessages({ ctx, conversationId: c.id, page: all })));
      return lists.flatMap((l) => l.items).sort((a, b) => a.createdAt - b.createdAt || a.seq - b.seq);
    },
    depth: () => gw.core.replyQueueDepth({ uow: gw.uow }),
    /** Waits until `check` holds (polling), or fails with what it last saw. */
    async until<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      let value = await read();
      while (!check(value)) {
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        value = await read();
      }
      return value;
    },
    /** Turn lines the workers logged. */
    turns: () => logs.filter((l) => l.message === 'reply turn').map((l) => l.fields),
    async close() {
      await Promise.all(workers.map((w) => w.stop(2000)));
      await model.close();
      await graph.close();
      await gw.close();
    },
  };
  return world;
}

export type ReplyWorld = Awaited<ReturnType<typeof replyWorld>>;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
