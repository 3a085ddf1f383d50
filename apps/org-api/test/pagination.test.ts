import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '@gateway/core';
import { encodeCursor } from '../src/cursor';
import { expectInvalid, instructions, orgWorld, type OrgWorld } from './helpers';

let w: OrgWorld | undefined;
afterEach(async () => {
  if (!w) return;
  expect(w.gw.unexpected).toEqual([]);
  await w.gw.close();
  w = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const newestFirst = (a: Agent, b: Agent) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Creates agents straight through the core, for speed. */
async function seedAgents(world: OrgWorld, count: number, prefix = 'seed'): Promise<Agent[]> {
  const agents: Agent[] = [];
  for (let i = 0; i < count; i++) {
    agents.push(await world.gw.core.createAgent({ ctx: world.orgCtx(), input: { handle: `${prefix}${i}`, name: `${prefix} ${i}`, instructions } }));
  }
  return agents;
}

/** Follows next_cursor to the end; runs `between` after each page. */
async function walk(world: OrgWorld, path: string, limit: number, between: (page: number, items: { id: string }[]) => Promise<void> = async () => {}) {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep: string = path.includes('?') ? '&' : '?';
    const res = await world.api.get(`${path}${sep}limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    seen.push(...res.body.data.map((a: { id: string }) => a.id));
    cursor = res.body.meta.next_cursor;
    pages++;
    await between(pages, res.body.data);
  } while (cursor !== null);
  return { seen, pages };
}

describe('cursor pagination of agents', () => {
  it('a walk over 1,000 agents in pages of 100 returns each exactly once, newest first', async () => {
    w = await orgWorld({ plan: 'enterprise' });
    const agents = await seedAgents(w, 1000);
    const { seen, pages } = await walk(w, '/agents', 100);
    expect(pages).toBe(10);
    expect(seen).toHaveLength(1000);
    expect(new Set(seen).size).toBe(1000);
    expect(seen).toEqual([...agents].sort(newestFirst).map((a) => a.id));
  }, 60_000);

  it('R3: a walk visits every pre-existing agent exactly once while agents are created and deleted between pages', async () => {
    w = await orgWorld({ plan: 'enterprise' });
    const world = w;
    const before = await seedAgents(world, 60);
    await sleep(5);
    const deletedUnvisited = new Set<string>();
    const created = new Set<string>();
    let n = 0;
    const { seen } = await walk(world, '/agents', 7, async (page, items) => {
      // New agents sort before the cursor; one of them is deleted again.
      for (let i = 0; i < 2; i++) {
        const res = await world.api.post('/agents', { handle: `fresh${n++}`, name: 'Fresh', instructions });
        created.add(res.body.data.id);
      }
      await world.api.delete(`/agents/${[...created][0]}`);
      // The agent the cursor points at is deleted: the walk goes on from its position.
      const last = items[items.length - 1];
      if (last) expect((await world.api.delete(`/agents/${last.id}`)).status).toBe(200);
      // An agent not visited yet is deleted: the walk must not return it.
      if (page === 3) {
        const victim = [...before].sort(newestFirst)[50] as Agent;
        expect((await world.api.delete(`/agents/${victim.id}`)).status).toBe(200);
        deletedUnvisited.add(victim.id);
      }
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => created.has(id))).toEqual([]);
    const expected = [...before].sort(newestFirst).map((a) => a.id).filter((id) => !deletedUnvisited.has(id));
    expect(seen).toEqual(expected);
  }, 30_000);

  it('limit defaults to 25; the last page has next_cursor null', async () => {
    w = await orgWorld();
    await seedAgents(w, 30);
    const first = await w.api.get('/agents');
    expect(first.body.data).toHaveLength(25);
    expect(typeof first.body.meta.next_cursor).toBe('string');
    const second = await w.api.get(`/agents?cursor=${first.body.meta.next_cursor}`);
    expect(second.body.data).toHaveLength(5);
    expect(second.body.meta).toEqual({ request_id: second.headers.get('x-request-id'), next_cursor: null });
    // An exact fit ends with null too.
    const all = await w.api.get('/agents?limit=30');
    expect(all.body.data).toHaveLength(30);
    expect(all.body.meta.next_cursor).toBeNull();
    // List items are the summary shape.
    expect(Object.keys(all.body.data[0]).sort()).toEqual(
      ['id', 'handle', 'name', 'description', 'model', 'is_active', 'color', 'avatar', 'tools_count', 'sub_agents_count', 'phone_number_id', 'created_at', 'updated_at'].sort(),
    );
  });

  it('limit out of 1-100 or not an integer is 422 validation_failed naming limit', async () => {
    w = await orgWorld();
    for (const limit of ['0', '101', '-1', 'abc', '', '2.5', '1e2', ' 5', '0x10']) {
      expectInvalid(await w.api.get(`/agents?limit=${encodeURIComponent(limit)}`), ['limit']);
    }
    expectInvalid(await w.api.get('/agents?limit=5&limit=6'), ['limit']);
    for (const limit of ['1', '100', '025']) expect((await w.api.get(`/agents?limit=${limit}`)).status).toBe(200);
  });

  it('a malformed, tampered or foreign cursor is 422 validation_failed naming cursor', async () => {
    w = await orgWorld();
    await seedAgents(w, 3);
    const good = (await w.api.get('/agents?limit=1')).body.meta.next_cursor as string;
    const bad = [
      'abc',
      `${good}=`,
      `${good}x`,
      good.slice(0, -2),
      Buffer.from('v1:agents:abc:agent_x').toString('base64url'),
      Buffer.from('v2:agents:1:agent_x').toString('base64url'),
      encodeCursor('conversations', { at: 1, id: 'conv_000000000000000000000000' }),
      Buffer.from('{"at":1,"id":"agent_x"}').toString('base64url'),
      'agent_000000000000000000000000',
      '',
    ];
    for (const cursor of bad) expectInvalid(await w.api.get(`/agents?cursor=${encodeURIComponent(cursor)}`), ['cursor']);
    expect((await w.api.get(`/agents?cursor=${good}`)).status).toBe(200);
  });

  it('a well-formed cursor past every agent gives an empty last page', async () => {
    w = await orgWorld();
    await seedAgents(w, 2);
    const res = await w.api.get(`/agents?cursor=${encodeCursor('agents', { at: 0, id: 'agent_000000000000000000000000' })}`);
    expect(res.body).toMatchObject({ data: [], meta: { next_cursor: null } });
  });
});

describe('cursor pagination of phone numbers, conversations and messages', () => {
  it('phone numbers: newest first, by cursor', async () => {
    w = await orgWorld();
    for (let i = 0; i < 4; i++) await w.gw.addNumber(w.gw.alice.id, `1555000${i}000`);
    const { seen, pages } = await walk(w, '/phone_numbers', 3);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    expectInvalid(await w.api.get(`/phone_numbers?cursor=${encodeCursor('agents', { at: 1, id: 'agent_x' })}`), ['cursor']);
  });

  it('conversations: latest activity first, every one exactly once', async () => {
    w = await orgWorld();
    const number = w.gw.numbers.alice;
    await w.api.post('/agents', { handle: 'a', name: 'A', instructions, phone_number_id: number.id });
    for (let i = 0; i < 12; i++) {
      await w.inbound(number, `1555000${String(i).padStart(4, '0')}`);
      await sleep(2);
    }
    const { seen } = await walk(w, '/conversations', 5);
    expect(seen).toHaveLength(12);
    expect(new Set(seen).size).toBe(12);
    const list = (await w.api.get('/conversations?limit=100')).body.data;
    expect(list.map((c: { id: string }) => c.id)).toEqual(seen);
    expect(list[0].customer_id).toBe('15550000011');
    const times = list.map((c: { last_message_at: string }) => Date.parse(c.last_message_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('messages: oldest first, default limit 50', async () => {
    w = await orgWorld();
    const number = w.gw.numbers.alice;
    await w.api.post('/agents', { handle: 'a', name: 'A', instructions, phone_number_id: number.id });
    for (let i = 0; i < 60; i++) await w.inbound(number, '15550001111', `message ${i}`);
    const conversation = (await w.api.get('/conversations')).body.data[0];
    expect(conversation.message_count).toBe(60);
    const first = await w.api.get(`/conversations/${conversation.id}/messages`);
    expect(first.body.data).toHaveLength(50);
    expect(first.body.data.map((m: { content: string }) => m.content)).toEqual(Array.from({ length: 50 }, (_, i) => `message ${i}`));
    const second = await w.api.get(`/conversations/${conversation.id}/messages?cursor=${first.body.meta.next_cursor}`);
    expect(second.body.data.map((m: { content: string }) => m.content)).toEqual(Array.from({ length: 10 }, (_, i) => `message ${50 + i}`));
    expect(second.body.meta.next_cursor).toBeNull();
    expectInvalid(await w.api.get(`/conversations/${conversation.id}/messages?limit=101`), ['limit']);
    expectInvalid(await w.api.get(`/conversations/${conversation.id}/messages?cursor=${first.body.meta.next_cursor}x`), ['cursor']);
  });
});
