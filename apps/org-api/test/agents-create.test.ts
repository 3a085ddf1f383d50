import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_COLOR } from '@gateway/core';
import { AgentSchema, CreateAgentBody } from '../src/schemas/agents';
import { expectError, expectInvalid, instructions, ISO_MS, orgWorld, wismoBody, type OrgWorld } from './helpers';

let w: OrgWorld;
beforeEach(async () => {
  w = await orgWorld();
});
afterEach(async () => {
  expect(w.gw.unexpected).toEqual([]);
  await w.gw.close();
});

const create = (body: unknown, init?: Parameters<OrgWorld['api']['post']>[2]) => w.api.post('/agents', body, init);

describe('POST /api/v1/agents: the create page', () => {
  it("the seed's WISMO example returns 201 with the documented response", async () => {
    const res = await create(wismoBody(), { headers: { 'X-Request-ID': 'req_wismo0000000001', 'Idempotency-Key': crypto.randomUUID() } });
    expect(res.status).toBe(201);
    const { data, meta } = res.body;
    expect(data).toMatchObject({
      handle: 'wismo',
      name: 'WISMO',
      model: 'gpt-5',
      is_active: true,
      color: '#6366f1',
      tools_count: 3,
      sub_agents_count: 0,
      instructions,
      include_system_prompt: true,
      connectors: ['connector_abc', 'connector_def'],
      tools: [
        { name: 'shopify_get_order', connector_id: 'connector_abc' },
        { name: 'shopify_search_orders', connector_id: 'connector_abc' },
        { name: 'zendesk_add_public_reply', connector_id: 'connector_def' },
      ],
      data_sources: [],
      sub_agents: [],
      prompt_id: null,
      phone_number_id: null,
      deactivated_reason: null,
      deactivated_at: null,
    });
    expect(data.id).toMatch(/^agent_[0-9a-f]{24}$/);
    expect(data.created_at).toMatch(ISO_MS);
    expect(data.updated_at).toMatch(ISO_MS);
    expect(meta).toEqual({ request_id: 'req_wismo0000000001' });
    expect(res.headers.get('x-request-id')).toBe(meta.request_id);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    // The response is exactly the documented Agent shape.
    expect(AgentSchema.strict().safeParse(data).success).toBe(true);
  });

  it('without an incoming X-Request-ID the response makes one: req_ + 16 hex, in body and header', async () => {
    const res = await create(wismoBody());
    expect(res.body.meta.request_id).toMatch(/^req_[0-9a-f]{16}$/);
    expect(res.headers.get('x-request-id')).toBe(res.body.meta.request_id);
  });

  it('the created agent is what GET returns', async () => {
    const created = (await create(wismoBody())).body.data;
    const read = await w.api.get(`/agents/${created.id}`);
    expect(read.body.data).toEqual(created);
  });

  it('every optional field of the page is accepted and echoed', async () => {
    const res = await create({
      handle: 'returns',
      name: '  Returns  ',
      instructions: 'Handle returns.',
      description: 'Return requests',
      model: 'gpt-5-mini',
      color: '#0EA5E9',
      avatar: '📦',
      include_system_prompt: false,
      tools: [{ name: 'shopify_get_order', connector_id: 'connector_abc' }, { name: 'knowledge_search', connector_id: null }, { name: 'calculator' }],
      connectors: ['connector_zzz', 'connector_abc'],
      data_sources: [
        { source_id: 'source_64f1c0ef2ec711ef6dc1dcf', scope: 'selected', documents: ['doc_abc', 'doc_def'] },
        { source_id: 'source_help', scope: 'all' },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      name: 'Returns',
      description: 'Return requests',
      model: 'gpt-5-mini',
      color: '#0EA5E9',
      avatar: '📦',
      include_system_prompt: false,
      tools_count: 3,
      tools: [
        { name: 'shopify_get_order', connector_id: 'connector_abc' },
        { name: 'knowledge_search', connector_id: null },
        { name: 'calculator', connector_id: null },
      ],
      connectors: ['connector_zzz', 'connector_abc'],
      data_sources: [
        { source_id: 'source_64f1c0ef2ec711ef6dc1dcf', scope: 'selected', documents: ['doc_abc', 'doc_def'] },
        { source_id: 'source_help', scope: 'all', documents: [] },
      ],
    });
  });

  it('only handle and name are required, besides instructions (R5)', async () => {
    const res = await create({});
    expectInvalid(res, ['handle', 'name']);
    expect(res.body.error.details).toEqual([
      { field: 'handle', message: 'handle is required' },
      { field: 'name', message: 'name is required' },
    ]);
  });
});

describe('R4 handle', () => {
  it.each(['1abc', 'wismo-bot', 'wis mo', 'wismo_bot', 'émile', '', 'a'.repeat(65)])('R4: %j is not a handle', async (handle) => {
    const details = expectInvalid(await create({ ...wismoBody(), handle }), ['handle']);
    expect(details[0]?.message).toMatch(/^handle /);
  });

  it.each(['w', 'ticketTriage', 'Agent007', 'a'.repeat(64)])('R4: %j is a handle, stored as given', async (handle) => {
    const res = await create({ ...wismoBody(), handle });
    expect(res.status).toBe(201);
    expect(res.body.data.handle).toBe(handle);
  });

  it('R4: a handle is unique within the org, compared case-insensitively: 409 agent_handle_taken', async () => {
    await create({ ...wismoBody(), handle: 'ticketTriage' });
    const res = await create({ ...wismoBody(), handle: 'TICKETTRIAGE' });
    expectError(res, 409, 'agent_handle_taken');
    expect(res.body.error.message).toBe('Agent with handle @TICKETTRIAGE already exists');
  });

  it('R4/R11: another org may use the same handle', async () => {
    await create(wismoBody());
    expect((await create(wismoBody(), { token: w.gw.tokens.other })).status).toBe(201);
  });

  it('R3/R4: a deleted agent frees its handle', async () => {
    const first = (await create(wismoBody())).body.data;
    await w.api.delete(`/agents/${first.id}`);
    expect((await create({ ...wismoBody(), handle: 'WISMO' })).status).toBe(201);
  });
});

describe('R5 instructions', () => {
  const base = { handle: 'helper', name: 'Helper' };

  it('R5: instructions is required unless instructions_html or prompt_id is given', async () => {
    const details = expectInvalid(await create(base), ['instructions']);
    expect(details[0]?.message).toBe('instructions is required unless instructions_html or prompt_id is given');
    expectInvalid(await create({ ...base, instructions: '   ' }), ['instructions']);
    expectInvalid(await create({ ...base, instructions: null }), ['instructions']);
  });

  it('R5: prompt_id alone is enough', async () => {
    const res = await create({ ...base, prompt_id: 'pmpt_68de2bd8a1' });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ prompt_id: 'pmpt_68de2bd8a1', instructions: null, instructions_html: null });
  });

  it.each([' pmpt_1', 'pmpt_1 ', '', 'pmpt/1', 'x'.repeat(256)])('R5: prompt_id %j is invalid', async (promptId) => {
    expectInvalid(await create({ ...base, prompt_id: promptId }), ['prompt_id']);
  });

  it('R5: instructions_html is sanitized to the allow-list and plain text is derived from it', async () => {
    const res = await create({
      ...base,
      instructions_html:
        '<h2>Orders</h2><p onclick="x()">Be <strong>brief</strong> &amp; kind.<script>alert(1)</script></p><ul><li>Check <a href="https://shop.test/t" target="_blank">tracking</a></li><li><a href="javascript:alert(1)">never</a></li></ul><img src="x.png"><iframe src="https://evil.test"></iframe>',
    });
    expect(res.status).toBe(201);
    const html: string = res.body.data.instructions_html;
    expect(html).toContain('<h2>Orders</h2>');
    expect(html).toContain('<strong>brief</strong>');
    expect(html).toContain('<a href="https://shop.test/t">tracking</a>');
    for (const banned of ['<script', 'onclick', 'javascript:', '<img', '<iframe', 'target=']) expect(html).not.toContain(banned);
    expect(res.body.data.instructions).toBe('Orders\nBe brief & kind.\nCheck tracking\nnever');
  });

  it('R5: given both, instructions is kept as sent and instructions_html is still sanitized', async () => {
    const res = await create({ ...base, instructions: 'Plain.', instructions_html: '<p>Rich<script>x</script></p>' });
    expect(res.body.data).toMatchObject({ instructions: 'Plain.', instructions_html: '<p>Rich</p>' });
  });

  it('R5: HTML that sanitizes to nothing does not count as instructions', async () => {
    expectInvalid(await create({ ...base, instructions_html: '<script>alert(1)</script>' }), ['instructions']);
  });

  it('R9: instructions and instructions_html are at most 100,000 characters', async () => {
    expect((await create({ ...base, instructions: 'x'.repeat(100_000) })).status).toBe(201);
    expectInvalid(await create({ ...base, handle: 'h2', instructions: 'x'.repeat(100_001) }), ['instructions']);
    expectInvalid(await create({ ...base, handle: 'h3', instructions_html: 'x'.repeat(100_001) }), ['instructions_html']);
  });
});

describe('R6 tools and connectors', () => {
  it('R6: connectors are derived from the tools: distinct, first-seen order', async () => {
    const res = await create({
      ...wismoBody(),
      tools: [
        { name: 'zendesk_get_ticket', connector_id: 'connector_def' },
        { name: 'shopify_get_order', connector_id: 'connector_abc' },
        { name: 'zendesk_add_public_reply', connector_id: 'connector_def' },
        { name: 'calculator', connector_id: null },
      ],
    });
    expect(res.body.data.connectors).toEqual(['connector_def', 'connector_abc']);
  });

  it("R6: given connectors must include every tool's connector", async () => {
    const details = expectInvalid(await create({ ...wismoBody(), connectors: ['connector_abc'] }), ['connectors']);
    expect(details[0]?.message).toContain('connector_def');
  });

  it('R6: connectors may not repeat an id', async () => {
    expectInvalid(await create({ ...wismoBody(), connectors: ['connector_abc', 'connector_def', 'connector_abc'] }), ['connectors']);
  });

  it('R6: malformed tool names and connector ids are 422 naming the field', async () => {
    const res = await create({
      ...wismoBody(),
      tools: [
        { name: 'Shopify', connector_id: 'connector_abc' },
        { name: 'ok_tool', connector_id: 'connector_abc...' },
        { name: 'ok_tool', connector_id: 'conn_abc' },
        { name: 'x'.repeat(129), connector_id: null },
      ],
      connectors: ['connector_'],
    });
    expectInvalid(res, ['tools.0.name', 'tools.1.connector_id', 'tools.2.connector_id', 'tools.3.name', 'connectors.0']);
  });

  it('R6: at most 64 tools', async () => {
    const tools = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `tool_${i}`, connector_id: null }));
    expect((await create({ ...wismoBody(), tools: tools(64) })).body.data.tools_count).toBe(64);
    expectInvalid(await create({ ...wismoBody(), handle: 'other', tools: tools(65) }), ['tools']);
  });

  it('R6: a tool reference takes only name and connector_id', async () => {
    expectInvalid(await create({ ...wismoBody(), tools: [{ name: 'a_tool', connector_id: null, label: 'A' }] }), ['tools.0.label']);
  });
});

describe('R7 sub-agents', () => {
  it('R7: sub-agents are agents of the org, by prefixed or bare id', async () => {
    const b = await w.createAgent();
    const c = await w.createAgent();
    const res = await create({ ...wismoBody(), sub_agents: [b.id, c.id.slice('agent_'.length)] });
    expect(res.status).toBe(201);
    expect(res.body.data.sub_agents).toEqual([b.id, c.id]);
    expect(res.body.data.sub_agents_count).toBe(2);
  });

  it('R7/R11: an unknown, deleted or other-org sub-agent is 422 validation_failed naming its place in sub_agents', async () => {
    const deleted = await w.createAgent();
    await w.api.delete(`/agents/${deleted.id}`);
    const foreign = (await w.api.post('/agents', { handle: 'theirs', name: 'Theirs', instructions }, { token: w.gw.tokens.other })).body.data;
    for (const id of ['agent_000000000000000000000000', deleted.id, foreign.id, 'not-an-agent']) {
      const details = expectInvalid(await create({ ...wismoBody(), sub_agents: [id] }), ['sub_agents.0']);
      expect(details[0]?.message).toContain(id);
    }
  });

  it('R7: every unknown sub-agent is listed, each by its place', async () => {
    const known = await w.createAgent();
    const details = expectInvalid(
      await create({ ...wismoBody(), sub_agents: ['agent_000000000000000000000001', known.id, 'agent_000000000000000000000002'] }),
      ['sub_agents.0', 'sub_agents.2'],
    );
    expect(details.map((d) => d.message)).toEqual([
      'sub_agents.0 references unknown agent agent_000000000000000000000001',
      'sub_agents.2 references unknown agent agent_000000000000000000000002',
    ]);
  });

  it('R7: no duplicates, at most 16', async () => {
    const b = await w.createAgent();
    expectInvalid(await create({ ...wismoBody(), sub_agents: [b.id, b.id] }), ['sub_agents']);
    expectInvalid(await create({ ...wismoBody(), sub_agents: Array.from({ length: 17 }, (_, i) => `agent_${String(i).padStart(24, '0')}`) }), ['sub_agents']);
  });

  it('R7: an agent cannot hand off to itself', async () => {
    const a = await w.createAgent();
    const details = expectInvalid(await w.api.patch(`/agents/${a.id}`, { sub_agents: [a.id] }), ['sub_agents']);
    expect(details[0]?.message).toBe('sub_agents must not include the agent itself');
  });

  it('R7: a hand-off cycle is rejected', async () => {
    const c = await w.createAgent();
    const b = await w.createAgent({ sub_agents: [c.id] });
    const a = await w.createAgent({ sub_agents: [b.id] });
    const details = expectInvalid(await w.api.patch(`/agents/${c.id}`, { sub_agents: [a.id] }), ['sub_agents']);
    expect(details[0]?.message).toBe('sub_agents must not form a hand-off cycle');
  });

  it('R7: A→B→C (3 levels) is allowed; A→B→C→D (4) is 422', async () => {
    const d = await w.createAgent();
    const c = await w.createAgent();
    const b = await w.createAgent({ sub_agents: [c.id] });
    const a = await create({ ...wismoBody(), sub_agents: [b.id] });
    expect(a.status).toBe(201);
    const details = expectInvalid(await w.api.patch(`/agents/${c.id}`, { sub_agents: [d.id] }), ['sub_agents']);
    expect(details[0]?.message).toContain('at most 3');
    const e = await create({ ...wismoBody(), handle: 'top', sub_agents: [a.body.data.id] });
    expectInvalid(e, ['sub_agents']);
  });
});

describe('R8 data sources', () => {
  const ds = (data_sources: unknown) => create({ ...wismoBody(), data_sources });

  it('R8: scope selected needs 1-1000 documents; scope all carries none and returns []', async () => {
    expectInvalid(await ds([{ source_id: 'source_a', scope: 'selected' }]), ['data_sources.0.documents']);
    expectInvalid(await ds([{ source_id: 'source_a', scope: 'selected', documents: [] }]), ['data_sources.0.documents']);
    expectInvalid(await ds([{ source_id: 'source_a', scope: 'all', documents: ['doc_a'] }]), ['data_sources.0.documents']);
    const docs = Array.from({ length: 1001 }, (_, i) => `doc_${i}`);
    expectInvalid(await ds([{ source_id: 'source_a', scope: 'selected', documents: docs }]), ['data_sources.0.documents']);
    const res = await ds([{ source_id: 'source_a', scope: 'all', documents: [] }, { source_id: 'source_b', scope: 'selected', documents: docs.slice(0, 1000) }]);
    expect(res.status).toBe(201);
    expect(res.body.data.data_sources[0]).toEqual({ source_id: 'source_a', scope: 'all', documents: [] });
    expect(res.body.data.data_sources[1].documents).toHaveLength(1000);
  });

  it('R8: malformed source_ and doc_ ids, a bad scope and more than 32 sources are 422 naming the field', async () => {
    expectInvalid(
      await ds([
        { source_id: 'src_a', scope: 'all' },
        { source_id: 'source_b', scope: 'some' },
        { source_id: 'source_c', scope: 'selected', documents: ['doc_ok', 'document_1', 'doc_a-b'] },
      ]),
      ['data_sources.0.source_id', 'data_sources.1.scope', 'data_sources.2.documents.1', 'data_sources.2.documents.2'],
    );
    const many = Array.from({ length: 33 }, (_, i) => ({ source_id: `source_${i}`, scope: 'all' }));
    expectInvalid(await ds(many), ['data_sources']);
  });
});

describe('R9 presentation', () => {
  it('R9: color is #RRGGBB, default #6366f1; null resets to the default', async () => {
    expect((await create(wismoBody())).body.data.color).toBe(DEFAULT_COLOR);
    for (const color of ['red', '#fff', '#GGGGGG', '6366f1', '#6366f1ff']) expectInvalid(await create({ ...wismoBody(), handle: 'c', color }), ['color']);
    const a = await w.createAgent({ color: '#112233' });
    expect((await w.api.patch(`/agents/${a.id}`, { color: null })).body.data.color).toBe(DEFAULT_COLOR);
  });

  it('R9: avatar is one emoji or an https:// URL of at most 2048 characters', async () => {
    for (const avatar of ['🤖', '👩🏽‍💻', '🇮🇳', 'https://cdn.example.com/a.png', `https://cdn.example.com/${'a'.repeat(2048 - 24)}`]) {
      const res = await create({ ...wismoBody(), handle: `av${Math.random().toString(36).slice(2, 8)}`, avatar });
      expect(res.status, avatar).toBe(201);
      expect(res.body.data.avatar).toBe(avatar);
    }
    for (const avatar of ['🤖🤖', 'robot', 'http://cdn.example.com/a.png', `https://cdn.example.com/${'a'.repeat(2048)}`, 'javascript:alert(1)']) {
      expectInvalid(await create({ ...wismoBody(), handle: 'bad', avatar }), ['avatar']);
    }
  });

  it('R9: model is 1-64 of [A-Za-z0-9._:-] or null (the org default)', async () => {
    expect((await create({ ...wismoBody(), handle: 'm1', model: null })).body.data.model).toBeNull();
    expect((await create({ ...wismoBody(), handle: 'm2', model: 'ft:gpt-4o:acme:v1.2' })).body.data.model).toBe('ft:gpt-4o:acme:v1.2');
    for (const model of ['', 'gpt 5', 'x'.repeat(65), 'gpt/5']) expectInvalid(await create({ ...wismoBody(), handle: 'm3', model }), ['model']);
  });

  it('R9: name is 1-255 characters after trimming; description up to 1000', async () => {
    expectInvalid(await create({ ...wismoBody(), name: '   ' }), ['name']);
    expectInvalid(await create({ ...wismoBody(), name: 'x'.repeat(256) }), ['name']);
    expect((await create({ ...wismoBody(), name: ` ${'x'.repeat(255)} ` })).body.data.name).toHaveLength(255);
    expectInvalid(await create({ ...wismoBody(), handle: 'd', description: 'x'.repeat(1001) }), ['description']);
    expect((await create({ ...wismoBody(), handle: 'd2', description: null })).body.data.description).toBeNull();
  });

  it('include_system_prompt defaults to true and must be a boolean', async () => {
    expect((await create(wismoBody())).body.data.include_system_prompt).toBe(true);
    const details = expectInvalid(await create({ ...wismoBody(), handle: 'b', include_system_prompt: 'yes' }), ['include_system_prompt']);
    expect(details[0]?.message).toBe('include_system_prompt must be a boolean');
  });
});

describe('validation_failed lists every problem', () => {
  it('unknown fields are rejected, one detail naming each', async () => {
    const res = await create({ ...wismoBody(), is_active: false, agent_id: 'mine', temperature: 0.2 });
    const details = expectInvalid(res, ['is_active', 'agent_id', 'temperature']);
    expect(details.find((d) => d.field === 'temperature')?.message).toBe('temperature is not a known field');
  });

  it('every problem of a request at once, each naming its field', async () => {
    const res = await create({ handle: '9lives', name: 42, color: 'blue', model: 'a b', tools: 'none', extra: true });
    expectInvalid(res, ['handle', 'name', 'color', 'model', 'tools', 'extra']);
    expect(res.body.error.message).toBe('6 problems in the request; see details');
  });

  it('a body that is not an object is 422 naming the body', async () => {
    for (const raw of ['[]', '"wismo"', 'null', '42']) expectInvalid(await w.api.call('POST', '/agents', { raw }), ['body']);
  });

  it('the create schema is the OpenAPI request schema', () => {
    expect(CreateAgentBody.safeParse(wismoBody()).success).toBe(true);
  });
});

describe('R10 plan limit and R12 phone numbers', () => {
  it('R10: an org cannot hold more agents than its plan allows: 422 validation_failed saying so', async () => {
    const small = await orgWorld({ plan: 'free' });
    try {
      for (let i = 0; i < 10; i++) expect((await small.api.post('/agents', { handle: `a${i}`, name: `A${i}`, instructions })).status).toBe(201);
      const res = await small.api.post('/agents', { handle: 'eleventh', name: 'Eleventh', instructions });
      expectError(res, 422, 'validation_failed');
      expect(res.body.error.message).toBe('Agent limit of 10 reached for this plan');
      expect(res.body.error.details).toEqual([{ field: 'plan', message: 'Agent limit of 10 reached for this plan' }]);
      // R3: a deleted agent no longer counts.
      const first = (await small.api.get('/agents?limit=1')).body.data[0];
      await small.api.delete(`/agents/${first.id}`);
      expect((await small.api.post('/agents', { handle: 'eleventh', name: 'Eleventh', instructions })).status).toBe(201);
      expect(small.gw.unexpected).toEqual([]);
    } finally {
      await small.gw.close();
    }
  });

  it('R12: phone_number_id of the org, prefixed or bare, binds the agent to the number', async () => {
    const res = await create({ ...wismoBody(), phone_number_id: w.gw.numbers.bob.id.slice(3) });
    expect(res.status).toBe(201);
    expect(res.body.data.phone_number_id).toBe(w.gw.numbers.bob.id);
  });

  it('R12/R11: an unknown, malformed or other-org phone_number_id is 422 validation_failed naming phone_number_id', async () => {
    for (const id of [w.gw.numbers.other.id, 'pn_000000000000000000000000', 'nope']) {
      const details = expectInvalid(await create({ ...wismoBody(), phone_number_id: id }), ['phone_number_id']);
      expect(details[0]?.message).toContain('phone_number_id');
    }
  });

  it('R1: a number with an active agent cannot take another: 409 phone_number_in_use', async () => {
    await create({ ...wismoBody(), phone_number_id: w.gw.numbers.alice.id });
    const res = await create({ ...wismoBody(), handle: 'second', phone_number_id: w.gw.numbers.alice.id });
    expectError(res, 409, 'phone_number_in_use');
  });

  it("a key bound to a user creates on any of the org's numbers in this dialect", async () => {
    const res = await create({ ...wismoBody(), phone_number_id: w.gw.numbers.bob.id }, { token: w.gw.tokens.alice });
    expect(res.status).toBe(201);
  });
});
