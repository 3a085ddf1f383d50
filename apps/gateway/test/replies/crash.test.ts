import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeGraphApi, fakeResponsesApi, type FakeGraphApi, type FakeResponsesApi } from '../fakes';
import { childEnv, startServer, TEST_KEY, type ServerProcess } from '../helpers';
import { APP_SECRET, sign, whatsappDelivery } from '../webhooks/helpers';
import {
  conversationMessages as replies,
  CUSTOMER,
  deliver,
  META_ID,
  postgresDatabase,
  seed,
  sleep,
  sqliteDatabase,
  startReplying,
  until,
} from './processes';

/**
 * §8 and the acceptance of the reply runtime: the real gateway process, killed with SIGKILL in the
 * middle of a turn and started again, on SQLite and on PostgreSQL. The turn survives a crash before
 * the reply (answered once, after the lease runs out), and a crash inside the send never sends twice.
 */

const LEASE_MS = 1500;

let model: FakeResponsesApi;
let graph: FakeGraphApi;
beforeAll(async () => {
  model = await fakeResponsesApi();
  graph = await fakeGraphApi();
});
afterAll(async () => {
  await model?.close();
  await graph?.close();
});

const start = (url: string) => startReplying(url, { model, graph }, { REPLY_LEASE_MS: String(LEASE_MS) });

async function kill(server: ServerProcess) {
  server.child.kill('SIGKILL');
  expect((await server.exited).signal).toBe('SIGKILL');
}

describe.each([
  ['SQLite', sqliteDatabase],
  ['PostgreSQL', postgresDatabase],
])('replies across a SIGKILL, on %s', (_name, database) => {
  it('killed while the model is asked: after the restart the turn is answered exactly once', async () => {
    const db = await database();
    try {
      const { phoneNumberId } = await seed(db.url);
      model.reset();
      graph.reset();
      model.setDefault({ text: 'Shipped yesterday.' });
      model.script({ hang: true });
      const first = await start(db.url);
      await deliver(first, 'wamid.CRASH.MODEL');
      await until(() => model.requests.length >= 1, 10_000, 'the model call');
      await kill(first);

      const second = await start(db.url);
      try {
        await until(() => graph.sends().length >= 1, 15_000, 'the reply');
        // Longer than a lease more: nobody sends it again.
        await sleep(LEASE_MS + 1000);
        expect(graph.sends()).toHaveLength(1);
        expect(model.requests).toHaveLength(2);
        const messages = await replies(db.url, phoneNumberId);
        expect(messages.map((m) => [m.role, m.status, m.text])).toEqual([
          ['user', 'received', 'Is it shipped?'],
          ['assistant', 'sent', 'Shipped yesterday.'],
        ]);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      await db.cleanup();
    }
  }, 90_000);

  it('killed inside the send: never a second send; the reply is failed as interrupted, and Meta’s status settles it', async () => {
    const db = await database();
    try {
      const { phoneNumberId } = await seed(db.url);
      model.reset();
      graph.reset();
      model.setDefault({ text: 'On its way.' });
      graph.script({ hang: true });
      const first = await start(db.url);
      await deliver(first, 'wamid.CRASH.SEND');
      await until(() => graph.sends().length >= 1, 10_000, 'the send');
      await kill(first);

      const second = await start(db.url);
      try {
        await until(async () => (await replies(db.url, phoneNumberId)).some((m) => m.status === 'failed'), 15_000, 'the interrupted reply');
        await sleep(LEASE_MS + 500);
        expect(graph.sends()).toHaveLength(1);
        expect(model.requests).toHaveLength(1);
        const [, reply] = await replies(db.url, phoneNumberId);
        expect([reply?.role, reply?.status, reply?.failureReason]).toEqual(['assistant', 'failed', 'interrupted']);

        // The send did reach Meta after all: its status callback names the message by its own id.
        const callback = JSON.stringify(
          whatsappDelivery(META_ID, [], {
            statuses: [{ id: 'wamid.META.LATE', status: 'delivered', timestamp: '1767225600', recipient_id: CUSTOMER, biz_opaque_callback_data: reply!.id }],
          }),
        );
        const res = await fetch(`http://127.0.0.1:${second.port}/webhooks/meta`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(callback) },
          body: callback,
        });
        expect(res.status).toBe(200);
        const [, settled] = await replies(db.url, phoneNumberId);
        expect([settled?.status, settled?.failureReason, settled?.platformMessageId]).toEqual(['delivered', null, 'wamid.META.LATE']);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      await db.cleanup();
    }
  }, 90_000);
});

describe('without OPENAI_API_KEY', () => {
  it('the gateway stores messages as before, queues nothing, and says once that replies are off', async () => {
    const db = await sqliteDatabase();
    try {
      const { phoneNumberId } = await seed(db.url);
      const server = await startServer(childEnv({ DATABASE_URL: db.url, GATEWAY_ENCRYPTION_KEY: TEST_KEY, META_APP_SECRET: APP_SECRET }));
      try {
        model.reset();
        graph.reset();
        await deliver(server, 'wamid.NO.REPLIES');
        await sleep(300);
        const off = server.output().split('\n').filter((line) => line.includes('replies are off'));
        expect(off).toHaveLength(1);
        expect(JSON.parse(off[0]!)).toMatchObject({ level: 'warn' });
        expect(model.requests).toHaveLength(0);
        expect((await replies(db.url, phoneNumberId)).map((m) => [m.role, m.status])).toEqual([['user', 'received']]);
        const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
        expect(metrics).toMatch(/^gateway_reply_queue_jobs\{state="due"\} 0$/m);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    } finally {
      await db.cleanup();
    }
  }, 60_000);
});
