import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentSchema } from '../src/schemas/agents';
import { expectError, expectInvalid, instructions, ISO_MS, orgWorld, wismoBody, type OrgWorld } from './helpers';

let w: OrgWorld;
beforeEach(async () => {
  w = await orgWorld();
});
afterEach(async () => {
  expect(w.gw.unexpected).toEqual([]);
  await w.gw.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /api/v1/agents/{id}', () => {
  it('answers the full agent by prefixed id or by the bare 24 hex digits', async () => {
    const created = (await w.api.post('/agents', wismoBody())).body.data;
    const byPrefixed = await w.api.get(`/agents/${created.id}`);
    const byBare = await w.api.get(`/agents/${created.id.slice('agent_'.length)}`);
    expect(byPrefixed.status).toBe(200);
    expect(byBare.body.data).toEqual(byPrefixed.body.data);
    expect(byBare.body.data.id).toBe(created.id);
    expect(AgentSchema.strict().safeParse(byBare.body.data).success).toBe(true);
  });

  it('anything else is 404 agent_not_found, never 422', async () => {
    const created = (await w.api.post('/agents', wismoBody())).body.data;
    for (const id of ['agent_000000000000000000000000', '000000000000000000000000', created.id.toUpperCase(), `${created.id}0`, 'agent_xyz', 'x', '%20', created.id.slice(6, 29)]) {
      expectError(await w.api.get(`/agents/${id}`), 404, 'agent_not_found');
    }
  });

  it('R11: an agent of another org is 404 agent_not_found, as if it did not exist', async () => {
    const theirs = (await w.api.post('/agents', wismoBody(), { token: w.gw.tokens.other })).body.data;
    const res = await w.api.get(`/agents/${theirs.id}`);
    expectError(res, 404, 'agent_not_found');
    expect(res.body.error.message).toBe('Agent not found');
  });

  it('a key bound to a user sees the whole org here, whoever owns the number', async () => {
    const onBob = (await w.api.post('/agents', { ...wismoBody(), phone_number_id: w.gw.numbers.bob.id })).body.data;
    expect((await w.api.get(`/agents/${onBob.id}`, { token: w.gw.tokens.alice })).status).toBe(200);
    expect((await w.api.get('/agents', { token: w.gw.tokens.alice })).body.data.map((a: { id: string }) => a.id)).toEqual([onBob.id]);
  });
});

describe('PATCH /api/v1/agents/{id}', () => {
  it('changes only the fields sent and bumps updated_at', async () => {
    const created = (await w.api.post('/agents', { ...wismoBody(), description: 'Orders', avatar: '📦' })).body.data;
    await sleep(5);
    const res = await w.api.patch(`/agents/${created.id}`, { name: 'Where is my order', handle: 'whereIsMyOrder' });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      ...created,
      name: 'Where is my order',
      handle: 'whereIsMyOrder',
      updated_at: res.body.data.updated_at,
    });
    expect(res.body.data.updated_at).toMatch(ISO_MS);
    expect(Date.parse(res.body.data.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
    expect(res.body.meta.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('takes the bare id too', async () => {
    const created = (await w.api.post('/agents', wismoBody())).body.data;
    expect((await w.api.patch(`/agents/${created.id.slice(6)}`, { name: 'Bare' })).body.data.name).toBe('Bare');
  });

  it('R6: arrays replace the whole list, and tools without connectors derive connectors again', async () => {
    const created = (await w.api.post('/agents', { ...wismoBody(), connectors: ['connector_abc', 'connector_def', 'connector_extra'] })).body.data;
    expect(created.connectors).toEqual(['connector_abc', 'connector_def', 'connector_extra']);
    const res = await w.api.patch(`/agents/${created.id}`, { tools: [{ name: 'slack_post', connector_id: 'connector_slack' }] });
    expect(res.body.data.tools).toEqual([{ name: 'slack_post', connector_id: 'connector_slack' }]);
    expect(res.body.data.tools_count).toBe(1);
    expect(res.body.data.connectors).toEqual(['connector_slack']);
    const cleared = await w.api.patch(`/agents/${created.id}`, { tools: [], data_sources: [{ source_id: 'source_a', scope: 'all' }] });
    expect(cleared.body.data).toMatchObject({ tools: [], tools_count: 0, connectors: [], data_sources: [{ source_id: 'source_a', scope: 'all', documents: [] }] });
    const replaced = await w.api.patch(`/agents/${created.id}`, { data_sources: [{ source_id: 'source_b', scope: 'selected', documents: ['doc_1'] }] });
    expect(replaced.body.data.data_sources).toEqual([{ source_id: 'source_b', scope: 'selected', documents: ['doc_1'] }]);
  });

  it("R6: connectors alone must still include every tool's connector", async () => {
    const created = (await w.api.post('/agents', wismoBody())).body.data;
    expectInvalid(await w.api.patch(`/agents/${created.id}`, { connectors: ['connector_abc'] }), ['connectors']);
    expect((await w.api.patch(`/agents/${created.id}`, { connectors: ['connector_def', 'connector_abc', 'connector_x'] })).body.data.connectors).toEqual([
      'connector_def',
      'connector_abc',
      'connector_x',
    ]);
  });

  it('R5: clearing the only instructions is 422; switching to prompt_id is fine', async () => {
    const created = (await w.api.post('/agents', wismoBody())).body.data;
    expectInvalid(await w.api.patch(`/agents/${created.id}`, { instructions: null }), ['instructions']);
    const res = await w.api.patch(`/agents/${created.id}`, { instructions: null, prompt_id: 'pmpt_abc' });
    expect(res.body.data).toMatchObject({ instructions: null, prompt_id: 'pmpt_abc' });
  });

  it('is_active false sets deactivated_at (and the reason); true clears both', async () => {
    const created = (await w.api.post('/agents', wismoBody())).body.data;
    const off = await w.api.patch(`/agents/${created.id}`, { is_active: false, deactivated_reason: 'Paused for the holidays' });
    expect(off.body.data).toMatchObject({ is_active: false, deactivated_reason: 'Paused for the holidays' });
    expect(off.body.data.deactivated_at).toMatch(ISO_MS);
    const summary = (await w.api.get('/agents')).body.data[0];
    expect(summary.is_active).toBe(false);
    const on = await w.api.patch(`/agents/${created.id}`, { is_active: true });
    expect(on.body.data).toMatchObject({ is_active: true, deactivated_reason: null, deactivated_at: null });
    const details = expectInvalid(await w.api.patch(`/agents/${created.id}`, { deactivated_reason: 'lost otherwise' }), ['deactivated_reason']);
    expect(details[0]?.message).toContain('inactive');
  });

  it('unknown fields, deactivated_at and read-only fields are rejected by name', async () => {
    const created = (await w.api.post('/agents', wismoBody())).body.data;
    expectInvalid(await w.api.patch(`/agents/${created.id}`, { deactivated_at: null, id: 'agent_x', tools_count: 3 }), ['deactivated_at', 'id', 'tools_count']);
    expectInvalid(await w.api.patch(`/agents/${created.id}`, { is_active: 'no', deactivated_reason: 'x'.repeat(1001) }), ['is_active', 'deactivated_reason']);
  });

  it('R4: a new handle is checked for format and case-insensitive uniqueness', async () => {
    const a = (await w.api.post('/agents', wismoBody())).body.data;
    const b = (await w.api.post('/agents', { ...wismoBody(), handle: 'other' })).body.data;
    expectInvalid(await w.api.patch(`/agents/${b.id}`, { handle: 'no-dashes' }), ['handle']);
    expectError(await w.api.patch(`/agents/${b.id}`, { handle: 'WISMO' }), 409, 'agent_handle_taken');
    // Its own handle in another case is fine.
    expect((await w.api.patch(`/agents/${a.id}`, { handle: 'Wismo' })).body.data.handle).toBe('Wismo');
  });

  it('an unknown, deleted or other-org agent is 404 agent_not_found', async () => {
    const theirs = (await w.api.post('/agents', wismoBody(), { token: w.gw.tokens.other })).body.data;
    const mine = (await w.api.post('/agents', wismoBody())).body.data;
    await w.api.delete(`/agents/${mine.id}`);
    for (const id of [theirs.id, mine.id, 'agent_000000000000000000000000', 'nope']) {
      expectError(await w.api.patch(`/agents/${id}`, { name: 'X' }), 404, 'agent_not_found');
    }
  });

  it('the body is checked before the agent is looked up: a bad body on an unknown id is 422', async () => {
    expectInvalid(await w.api.patch('/agents/agent_000000000000000000000000', { name: 5 }), ['name']);
  });
});

describe('R1 and R2 through PATCH', () => {
  it('R1: moving onto a held number or re-activating there is 409 phone_number_in_use', async () => {
    const number = w.gw.numbers.alice.id;
    const a = (await w.api.post('/agents', { ...wismoBody(), handle: 'a', phone_number_id: number })).body.data;
    const b = (await w.api.post('/agents', { ...wismoBody(), handle: 'b' })).body.data;
    expectError(await w.api.patch(`/agents/${b.id}`, { phone_number_id: number }), 409, 'phone_number_in_use');
    // Deactivating frees the number.
    await w.api.patch(`/agents/${a.id}`, { is_active: false });
    expect((await w.api.patch(`/agents/${b.id}`, { phone_number_id: number })).body.data.phone_number_id).toBe(number);
    expectError(await w.api.patch(`/agents/${a.id}`, { is_active: true }), 409, 'phone_number_in_use');
    // Detaching with null frees it again.
    expect((await w.api.patch(`/agents/${b.id}`, { phone_number_id: null })).body.data.phone_number_id).toBeNull();
    expect((await w.api.patch(`/agents/${a.id}`, { is_active: true })).body.data.is_active).toBe(true);
  });

  it('R12: moving to an unknown number is 422 naming phone_number_id', async () => {
    const a = (await w.api.post('/agents', wismoBody())).body.data;
    expectInvalid(await w.api.patch(`/agents/${a.id}`, { phone_number_id: w.gw.numbers.other.id }), ['phone_number_id']);
  });

  it("R2: taking over a number archives the previous agent's active conversations, readable afterwards", async () => {
    const number = w.gw.numbers.alice;
    const a = (await w.api.post('/agents', { ...wismoBody(), handle: 'a', phone_number_id: number.id })).body.data;
    await w.inbound(number, '15550001111');
    await w.inbound(number, '15550002222');
    const b = (await w.api.post('/agents', { ...wismoBody(), handle: 'b' })).body.data;
    await w.api.patch(`/agents/${a.id}`, { is_active: false });
    await w.api.patch(`/agents/${b.id}`, { phone_number_id: number.id });

    const archived = (await w.api.get(`/conversations?agent_id=${a.id}`)).body.data;
    expect(archived).toHaveLength(2);
    for (const c of archived) expect(c).toMatchObject({ status: 'archived', archive_reason: 'agent_replaced' });
    // The next message from that customer starts a new conversation with the new agent.
    await w.inbound(number, '15550001111');
    const active = (await w.api.get('/conversations?status=active')).body.data;
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({ agent_id: b.id, customer_id: '15550001111', message_count: 1 });
  });

  it('R2: changing name, prompt_id or instructions keeps the conversations', async () => {
    const number = w.gw.numbers.alice;
    const a = (await w.api.post('/agents', { ...wismoBody(), phone_number_id: number.id })).body.data;
    await w.inbound(number, '15550001111');
    await w.api.patch(`/agents/${a.id}`, { name: 'Renamed', prompt_id: 'pmpt_new', instructions: 'New.' });
    const list = (await w.api.get('/conversations')).body.data;
    expect(list).toHaveLength(1);
    expect(list[0].status).toBe('active');
  });
});

describe('DELETE /api/v1/agents/{id}', () => {
  it('R3: answers {id, deleted: true}; the agent is gone; a second delete is 404', async () => {
    const a = (await w.api.post('/agents', wismoBody())).body.data;
    const res = await w.api.delete(`/agents/${a.id.slice(6)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { id: a.id, deleted: true }, meta: { request_id: res.headers.get('x-request-id') } });
    expectError(await w.api.get(`/agents/${a.id}`), 404, 'agent_not_found');
    expect((await w.api.get('/agents')).body.data).toEqual([]);
    expectError(await w.api.delete(`/agents/${a.id}`), 404, 'agent_not_found');
  });

  it("R3: frees the number, keeps the conversations; another org's agent is 404", async () => {
    const number = w.gw.numbers.alice;
    const a = (await w.api.post('/agents', { ...wismoBody(), phone_number_id: number.id })).body.data;
    await w.inbound(number, '15550001111');
    await w.api.delete(`/agents/${a.id}`);
    const conversations = (await w.api.get('/conversations')).body.data;
    expect(conversations).toHaveLength(1);
    expect(conversations[0].agent_id).toBe(a.id);
    expect((await w.api.post('/agents', { ...wismoBody(), phone_number_id: number.id })).status).toBe(201);
    // R2: the new agent's takeover archives the deleted agent's conversation.
    expect((await w.api.get(`/conversations/${conversations[0].id}`)).body.data.status).toBe('archived');

    const theirs = (await w.api.post('/agents', { handle: 'x', name: 'X', instructions }, { token: w.gw.tokens.other })).body.data;
    expectError(await w.api.delete(`/agents/${theirs.id}`), 404, 'agent_not_found');
    expect((await w.api.get(`/agents/${theirs.id}`, { token: w.gw.tokens.other })).status).toBe(200);
  });
});
