import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_ID, agentsInDb, anyTimestamp, expectLegacyError, expectNoUnexpected, legacyWorld, sleep, type LegacyWorld } from './helpers';

let w: LegacyWorld;
beforeAll(async () => {
  w = await legacyWorld();
});
afterAll(() => w.gw.close());
afterEach(() => expectNoUnexpected(w.gw));

const create = (phone_number_id: string, name = 'Support Agent', prompt_id = 'prompt_support_v1') =>
  w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id, prompt_id, name } });

describe('POST /v1/users/{user_id}/agents', () => {
  it('creates an agent and answers 201 with exactly the legacy agent', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '20000000001');
    const res = await create(number.id, 'Customer Support Agent', 'prompt_xyz789');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      agent_id: expect.stringMatching(AGENT_ID),
      user_id: w.gw.alice.id,
      phone_number_id: number.id,
      prompt_id: 'prompt_xyz789',
      name: 'Customer Support Agent',
      created_at: anyTimestamp(),
      updated_at: anyTimestamp(),
    });
    expect(res.body.created_at).toBe(res.body.updated_at);
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{16}$/);
    expect(res.headers.get('x-correlation-id')).toBe(res.headers.get('x-request-id'));
  });

  it('ignores unknown body fields', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '20000000002');
    const res = await w.call('POST', `${w.paths.alice}/agents`, {
      json: { phone_number_id: number.id, prompt_id: 'p1', name: 'Extra', model: 'gpt-x', instructions: 'ignored', handle: 'x' },
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['agent_id', 'created_at', 'name', 'phone_number_id', 'prompt_id', 'updated_at', 'user_id']);
  });

  it('accepts a client-chosen agent_id and refuses it once taken (409)', async () => {
    const first = await w.gw.addNumber(w.gw.alice.id, '20000000003');
    const second = await w.gw.addNumber(w.gw.alice.id, '20000000004');
    const made = await w.call('POST', `${w.paths.alice}/agents`, { json: { agent_id: 'agt_xyz789', phone_number_id: first.id, prompt_id: 'p', name: 'Named' } });
    expect(made.status).toBe(201);
    expect(made.body.agent_id).toBe('agt_xyz789');
    const again = await w.call('POST', `${w.paths.alice}/agents`, { json: { agent_id: 'agt_xyz789', phone_number_id: second.id, prompt_id: 'p', name: 'Named' } });
    expectLegacyError(again, 409, 'Conflict', 'Agent with ID agt_xyz789 already exists');
    const bad = await w.call('POST', `${w.paths.alice}/agents`, { json: { agent_id: 'has space', phone_number_id: second.id, prompt_id: 'p', name: 'Named' } });
    expectLegacyError(bad, 400, 'Validation error', /^agent_id must be/);
  });

  it('R5: missing or null prompt_id is "prompt_id is required"; empty, padded or malformed is "Invalid prompt_id"', async () => {
    const number = w.gw.numbers.aliceSpare.id;
    for (const json of [{ phone_number_id: number, name: 'A' }, { phone_number_id: number, name: 'A', prompt_id: null }]) {
      expectLegacyError(await w.call('POST', `${w.paths.alice}/agents`, { json }), 400, 'Validation error', 'prompt_id is required');
    }
    for (const prompt_id of ['', ' prompt_x', 'prompt_x ', 'prompt x', 'a'.repeat(256), 'prompt/x']) {
      const res = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: number, name: 'A', prompt_id } });
      expectLegacyError(res, 400, 'Validation error', 'Invalid prompt_id');
    }
    expect(await agentsInDb(w.gw)).not.toContainEqual(expect.objectContaining({ phoneNumberId: number }));
  });

  it('names the field in every validation message', async () => {
    const cases: [unknown, string][] = [
      [{ prompt_id: 'p', name: 'A' }, 'phone_number_id is required'],
      [{ phone_number_id: 'pn_x', prompt_id: 'p' }, 'name is required'],
      [{ phone_number_id: 'pn_x', prompt_id: 'p', name: 42 }, 'name must be a string'],
      [{ phone_number_id: 7, prompt_id: 'p', name: 'A' }, 'phone_number_id must be a string'],
      [{ phone_number_id: 'pn_x', prompt_id: ['p'], name: 'A' }, 'prompt_id must be a string'],
      [{ phone_number_id: w.gw.numbers.aliceSpare.id, prompt_id: 'p', name: '   ' }, 'name must be 1-255 characters'],
      [[1, 2], 'Request body must be a JSON object'],
      ['text', 'Request body must be a JSON object'],
      [null, 'Request body must be a JSON object'],
    ];
    for (const [json, message] of cases) {
      const res = await w.call('POST', `${w.paths.alice}/agents`, { raw: JSON.stringify(json), headers: { 'content-type': 'application/json' } });
      expectLegacyError(res, 400, 'Validation error', message);
    }
  });

  it('R1: a second agent on a number with an active agent is 409 "Phone number already has an active agent"', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '20000000005');
    expect((await create(number.id, 'First')).status).toBe(201);
    expectLegacyError(await create(number.id, 'Second'), 409, 'Conflict', 'Phone number already has an active agent');
  });

  it("R12: an unknown number, another user's number or another org's number is 404 \"Phone number not found\"", async () => {
    for (const id of ['pn_000000000000000000000000', 'nope', w.gw.numbers.bob.id, w.gw.numbers.other.id]) {
      expectLegacyError(await create(id), 404, 'Not Found', 'Phone number not found');
    }
  });
});

describe('GET /v1/users/{user_id}/agents', () => {
  it('lists the user\'s agents newest first with offset pagination', async () => {
    const local = await legacyWorld();
    try {
      const made: string[] = [];
      for (let i = 0; i < 3; i++) {
        const number = await local.gw.addNumber(local.gw.alice.id, `3000000000${i}`);
        const res = await local.call('POST', `${local.paths.alice}/agents`, { json: { phone_number_id: number.id, prompt_id: `p${i}`, name: `Agent ${i}` } });
        made.push(res.body.agent_id);
        await sleep(5);
      }
      const bobsNumber = local.gw.numbers.bob.id;
      expect((await local.call('POST', `${local.paths.bob}/agents`, { json: { phone_number_id: bobsNumber, prompt_id: 'p', name: 'Bob agent' } })).status).toBe(201);

      const all = await local.call('GET', `${local.paths.alice}/agents`);
      expect(all.status).toBe(200);
      expect(all.body).toEqual({
        agents: [2, 1, 0].map((i) => ({
          agent_id: made[i],
          user_id: local.gw.alice.id,
          phone_number_id: expect.any(String),
          prompt_id: `p${i}`,
          name: `Agent ${i}`,
          created_at: anyTimestamp(),
          updated_at: anyTimestamp(),
        })),
        pagination: { total: 3, limit: 50, offset: 0, has_more: false },
      });

      const page = await local.call('GET', `${local.paths.alice}/agents?limit=2&offset=1`);
      expect(page.body.agents.map((a: { agent_id: string }) => a.agent_id)).toEqual([made[1], made[0]]);
      expect(page.body.pagination).toEqual({ total: 3, limit: 2, offset: 1, has_more: false });
      const first = await local.call('GET', `${local.paths.alice}/agents?limit=1`);
      expect(first.body.pagination).toEqual({ total: 3, limit: 1, offset: 0, has_more: true });
      const past = await local.call('GET', `${local.paths.alice}/agents?offset=10`);
      expect(past.body).toEqual({ agents: [], pagination: { total: 3, limit: 50, offset: 10, has_more: false } });

      const filtered = await local.call('GET', `${local.paths.alice}/agents?phone_number_id=${all.body.agents[0].phone_number_id}`);
      expect(filtered.body.agents.map((a: { agent_id: string }) => a.agent_id)).toEqual([made[2]]);
      // A filter naming a number outside the caller's scope (another user's, another org's, unknown) is an empty list.
      for (const id of [bobsNumber, local.gw.numbers.other.id, 'pn_unknown']) {
        const res = await local.call('GET', `${local.paths.alice}/agents?phone_number_id=${id}`);
        expect(res.body).toEqual({ agents: [], pagination: { total: 0, limit: 50, offset: 0, has_more: false } });
      }
      expectNoUnexpected(local.gw);
    } finally {
      await local.gw.close();
    }
  });

  it('refuses a limit outside 1-100 or a negative offset, naming the parameter', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=1.5', 'limit=', 'limit=1&limit=2']) {
      expectLegacyError(await w.call('GET', `${w.paths.alice}/agents?${q}`), 400, 'Validation error', 'limit must be an integer between 1 and 100');
    }
    for (const q of ['offset=-1', 'offset=x', 'offset=0.5']) {
      expectLegacyError(await w.call('GET', `${w.paths.alice}/agents?${q}`), 400, 'Validation error', 'offset must be an integer of at least 0');
    }
    expect((await w.call('GET', `${w.paths.alice}/agents?limit=100&offset=0`)).status).toBe(200);
    expect((await w.call('GET', `${w.paths.alice}/agents?limit=1`)).status).toBe(200);
  });
});

describe('GET /v1/users/{user_id}/agents/{agent_id}', () => {
  it('answers the agent', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '20000000010');
    const made = await create(number.id, 'Getter');
    const res = await w.call('GET', `${w.paths.alice}/agents/${made.body.agent_id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(made.body);
  });

  it('R11: an unknown agent, or one on another user\'s or org\'s number, is 404 "Agent not found"', async () => {
    const bobs = await w.call('POST', `${w.paths.bob}/agents`, { json: { phone_number_id: w.gw.numbers.bob.id, prompt_id: 'p', name: 'Bob agent' } });
    expect(bobs.status).toBe(201);
    for (const id of ['agent_000000000000000000000000', bobs.body.agent_id]) {
      expectLegacyError(await w.call('GET', `${w.paths.alice}/agents/${id}`), 404, 'Not Found', 'Agent not found');
    }
  });
});

describe('PATCH /v1/users/{user_id}/agents/{agent_id}', () => {
  it('renames the agent and changes its prompt; created_at stays, updated_at moves', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '20000000020');
    const made = await create(number.id, 'Before');
    const res = await w.call('PATCH', `${w.paths.alice}/agents/${made.body.agent_id}`, { json: { name: 'After', prompt_id: 'prompt_v2', unknown: 1 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...made.body, name: 'After', prompt_id: 'prompt_v2', updated_at: anyTimestamp() });
    expect((await w.call('GET', `${w.paths.alice}/agents/${made.body.agent_id}`)).body).toEqual(res.body);
  });

  it("moves the agent to another of the user's numbers", async () => {
    const from = await w.gw.addNumber(w.gw.alice.id, '20000000021');
    const to = await w.gw.addNumber(w.gw.alice.id, '20000000022');
    const made = await create(from.id, 'Mover');
    const res = await w.call('PATCH', `${w.paths.alice}/agents/${made.body.agent_id}`, { json: { phone_number_id: to.id } });
    expect(res.status).toBe(200);
    expect(res.body.phone_number_id).toBe(to.id);
    // The old number is free again (R1).
    expect((await create(from.id, 'Newcomer')).status).toBe(201);
  });

  it('with none of name, prompt_id, phone_number_id is 400', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '20000000023');
    const made = await create(number.id);
    for (const json of [{}, { other: 'x' }]) {
      const res = await w.call('PATCH', `${w.paths.alice}/agents/${made.body.agent_id}`, { json });
      expectLegacyError(res, 400, 'Validation error', 'At least one field (name, prompt_id, phone_number_id) must be provided');
    }
  });

  it('answers the create errors', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '20000000024');
    const held = await w.gw.addNumber(w.gw.alice.id, '20000000025');
    const made = await create(number.id);
    expect((await create(held.id, 'Holder')).status).toBe(201);
    const path = `${w.paths.alice}/agents/${made.body.agent_id}`;
    expectLegacyError(await w.call('PATCH', path, { json: { prompt_id: ' padded' } }), 400, 'Validation error', 'Invalid prompt_id');
    expectLegacyError(await w.call('PATCH', path, { json: { prompt_id: null } }), 400, 'Validation error', 'prompt_id must be a string');
    expectLegacyError(await w.call('PATCH', path, { json: { name: 5 } }), 400, 'Validation error', 'name must be a string');
    expectLegacyError(await w.call('PATCH', path, { json: { name: '' } }), 400, 'Validation error', 'name must be 1-255 characters');
    expectLegacyError(await w.call('PATCH', path, { json: { phone_number_id: w.gw.numbers.bob.id } }), 404, 'Not Found', 'Phone number not found');
    expectLegacyError(await w.call('PATCH', path, { json: { phone_number_id: held.id } }), 409, 'Conflict', 'Phone number already has an active agent');
    expectLegacyError(await w.call('PATCH', `${w.paths.alice}/agents/agent_000000000000000000000000`, { json: { name: 'x' } }), 404, 'Not Found', 'Agent not found');
  });
});

describe('DELETE /v1/users/{user_id}/agents/{agent_id}', () => {
  it('R3: deletes softly; the agent is then 404 everywhere and its number is free', async () => {
    const number = await w.gw.addNumber(w.gw.alice.id, '20000000030');
    const made = await create(number.id, 'Doomed');
    const path = `${w.paths.alice}/agents/${made.body.agent_id}`;
    const res = await w.call('DELETE', path);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ agent_id: made.body.agent_id, deleted: true });
    expectLegacyError(await w.call('GET', path), 404, 'Not Found', 'Agent not found');
    expectLegacyError(await w.call('PATCH', path, { json: { name: 'x' } }), 404, 'Not Found', 'Agent not found');
    expectLegacyError(await w.call('DELETE', path), 404, 'Not Found', 'Agent not found');
    const listed = await w.call('GET', `${w.paths.alice}/agents?phone_number_id=${number.id}`);
    expect(listed.body.agents).toEqual([]);
    expect((await create(number.id, 'Doomed')).status).toBe(201);
  });
});

describe('R10: plan limit', () => {
  it('an org at its plan limit cannot create another agent: 400 "Validation error" saying the limit was reached', async () => {
    const local = await legacyWorld({ plan: 'free', planLimits: { free: 2, pro: 100, enterprise: null } });
    try {
      for (const meta of ['40000000001', '40000000002']) {
        const number = await local.gw.addNumber(local.gw.alice.id, meta);
        expect((await local.call('POST', `${local.paths.alice}/agents`, { json: { phone_number_id: number.id, prompt_id: 'p', name: meta } })).status).toBe(201);
      }
      const res = await local.call('POST', `${local.paths.alice}/agents`, { json: { phone_number_id: local.gw.numbers.aliceSpare.id, prompt_id: 'p', name: 'One too many' } });
      expectLegacyError(res, 400, 'Validation error', 'Agent limit of 2 reached for this plan');
      expectNoUnexpected(local.gw);
    } finally {
      await local.gw.close();
    }
  });
});
