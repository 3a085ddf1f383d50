import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeGraphApi, fakeResponsesApi, type FakeGraphApi, type FakeResponsesApi } from '../fakes';
import type { ServerProcess } from '../helpers';
import { conversationMessages, deliver, postgresDatabase, seed, sleep, startReplying, stop, until, type Database } from './processes';

/**
 * §8 with §9: three gateway processes on one PostgreSQL database, each with its own reply worker.
 * Meta redelivers a message to several of them at once and later again, and a burst arrives split
 * across them: every case is one model call and one send, checked on the fakes and in the database.
 */

const DEBOUNCE_MS = 300;

let model: FakeResponsesApi;
let graph: FakeGraphApi;
let db: Database;
let servers: ServerProcess[] = [];
let phoneNumberId: string;

beforeAll(async () => {
  model = await fakeResponsesApi();
  graph = await fakeGraphApi();
  db = await postgresDatabase();
  ({ phoneNumberId } = await seed(db.url));
  // Started one after another: the first migrates, and the three race only for turns.
  for (let i = 0; i < 3; i++) servers.push(await startReplying(db.url, { model, graph }, { REPLY_DEBOUNCE_MS: String(DEBOUNCE_MS) }));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map(stop));
  await db?.cleanup();
  await model?.close();
  await graph?.close();
});

/** Waits for `count` sends, then for longer than a debounce and a poll more, so a second turn would show. */
async function settled(count: number) {
  await until(() => graph.sends().length >= count, 20_000, `${count} send(s)`);
  await sleep(DEBOUNCE_MS + 1500);
}

describe('replies with three instances on PostgreSQL', () => {
  it('Meta delivering one message to all three at once, then again to another, produces one reply', async () => {
    model.reset();
    graph.reset();
    // A slow model keeps the turn in flight while the redeliveries land.
    model.setDefault({ text: 'It left the warehouse today.', delayMs: 400 });

    await Promise.all(servers.map((server) => deliver(server, 'wamid.INSTANCES.ONE')));
    await until(() => model.requests.length >= 1, 10_000, 'the model call');
    await deliver(servers[1]!, 'wamid.INSTANCES.ONE');
    await settled(1);
    await deliver(servers[2]!, 'wamid.INSTANCES.ONE');
    await sleep(DEBOUNCE_MS + 1000);

    expect(model.requests).toHaveLength(1);
    expect(graph.sends()).toHaveLength(1);
    expect((graph.sends()[0]!.body as { text: { body: string } }).text.body).toBe('It left the warehouse today.');
    const messages = await conversationMessages(db.url, phoneNumberId);
    expect(messages.map((m) => [m.role, m.status, m.text])).toEqual([
      ['user', 'received', 'Is it shipped?'],
      ['assistant', 'sent', 'It left the warehouse today.'],
    ]);
  }, 60_000);

  it('a burst split across the three instances gets one reply that answers all of it', async () => {
    model.reset();
    graph.reset();
    model.setDefault({ text: 'Your shoes arrive Friday.' });

    await deliver(servers[0]!, 'wamid.BURST.1', 'Hi');
    await sleep(60);
    await deliver(servers[1]!, 'wamid.BURST.2', 'I ordered shoes');
    await sleep(60);
    await deliver(servers[2]!, 'wamid.BURST.3', 'Where are they?');
    await settled(1);

    expect(model.bodies()).toHaveLength(1);
    // The history ends with the burst, after the first test's exchange.
    expect((model.bodies()[0]!.input as unknown[]).slice(-3)).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'user', content: 'I ordered shoes' },
      { role: 'user', content: 'Where are they?' },
    ]);
    expect(graph.sends()).toHaveLength(1);
    const messages = await conversationMessages(db.url, phoneNumberId);
    expect(messages.slice(-4).map((m) => [m.role, m.text])).toEqual([
      ['user', 'Hi'],
      ['user', 'I ordered shoes'],
      ['user', 'Where are they?'],
      ['assistant', 'Your shoes arrive Friday.'],
    ]);
  }, 60_000);
});
