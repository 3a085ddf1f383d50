import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { createCore, DEFAULT_PLAN_LIMITS, SCOPES, type Message } from '@gateway/core';
import { aesGcmCipher, htmlSanitizer, randomIds, sha256Hasher, systemClock } from '@gateway/platform';
import { openStorage } from '@gateway/storage';
import { createDatabase, postgresServerUrl } from '@gateway/storage/postgres-testing';
import type { FakeGraphApi, FakeResponsesApi } from '../fakes';
import { childEnv, startServer, tempDir, TEST_KEY, type ServerProcess } from '../helpers';
import { APP_SECRET, sign, whatsappDelivery, whatsappText } from '../webhooks/helpers';

/**
 * The reply runtime in real gateway processes: a database with one WhatsApp number and its agent,
 * servers pointed at the local fakes, signed deliveries, and the conversation read back from the
 * database itself.
 */

export const META_ID = '106540352242922';
export const CUSTOMER = '15551239876';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export interface Database {
  url: string;
  cleanup(): Promise<void>;
}

export async function sqliteDatabase(): Promise<Database> {
  const { dir, cleanup } = tempDir();
  return { url: pathToFileURL(join(dir, 'gateway.db')).href, cleanup: async () => cleanup() };
}

export async function postgresDatabase(): Promise<Database> {
  const db = await createDatabase(postgresServerUrl(), 'replies');
  return { url: db.url, cleanup: () => db.drop() };
}

/** An org, a WhatsApp number with its token, and an agent on it, written through the core. */
export async function seed(url: string): Promise<{ phoneNumberId: string }> {
  const storage = await openStorage({ url, cipher: aesGcmCipher(TEST_KEY) });
  const core = createCore({ clock: systemClock, ids: randomIds, hasher: sha256Hasher, html: htmlSanitizer, planLimits: DEFAULT_PLAN_LIMITS });
  const uow = storage.uow;
  const org = await core.createOrg({ uow, input: { name: 'Acme', plan: 'pro' } });
  const user = await core.createUser({ uow, input: { orgId: org.id, name: 'Alice' } });
  const { key } = await core.createApiKey({ uow, input: { orgId: org.id, scopes: [...SCOPES] } });
  const ctx = { uow, actor: core.actorFor(key, user.id) };
  const phone = await core.addPhoneNumber({ ctx, input: { platform: 'whatsapp', metaPhoneNumberId: META_ID, accessToken: 'EAAG-process-secret' } });
  await core.createAgent({ ctx: { uow, actor: core.actorFor(key) }, input: { name: 'Desk', instructions: 'Help.', phoneNumberId: phone.id } });
  await storage.close();
  return { phoneNumberId: phone.id };
}

/** The customer's conversation on the number, oldest message first, as stored. */
export async function conversationMessages(url: string, phoneNumberId: string): Promise<Message[]> {
  const storage = await openStorage({ url, cipher: aesGcmCipher(TEST_KEY) });
  try {
    return await storage.uow.read(async (repos) => {
      const conversation = await repos.conversations.findActive(phoneNumberId, CUSTOMER);
      return conversation ? repos.messages.latest(conversation.id, 50) : [];
    });
  } finally {
    await storage.close();
  }
}

/** A gateway process with replies on, pointed at the fakes. */
export const startReplying = (url: string, fakes: { model: FakeResponsesApi; graph: FakeGraphApi }, vars: Record<string, string> = {}) =>
  startServer(
    childEnv({
      DATABASE_URL: url,
      GATEWAY_ENCRYPTION_KEY: TEST_KEY,
      META_APP_SECRET: APP_SECRET,
      OPENAI_API_KEY: 'sk-test-processes',
      OPENAI_BASE_URL: fakes.model.baseURL,
      META_GRAPH_BASE_URL: fakes.graph.baseUrl,
      REPLY_DEBOUNCE_MS: '50',
      REPLY_MODEL_TIMEOUT_MS: '20000',
      ...vars,
    }),
  );

/** Posts a signed delivery of one customer text to a server's webhook and expects its 200. */
export async function deliver(server: ServerProcess, id: string, text = 'Is it shipped?') {
  const body = JSON.stringify(whatsappDelivery(META_ID, [whatsappText({ from: CUSTOMER, id, text })]));
  const res = await fetch(`http://127.0.0.1:${server.port}/webhooks/meta`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) },
    body,
  });
  expect(res.status).toBe(200);
}

export async function stop(server: ServerProcess) {
  server.child.kill('SIGTERM');
  await server.exited;
}
