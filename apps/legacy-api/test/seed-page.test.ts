import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_ID, expectLegacyError, expectNoUnexpected, legacyWorld, TIMESTAMP, type LegacyWorld } from './helpers';

/**
 * The published page `user-scoped-create-agent.md`, replayed as written: its three curl examples
 * (with the seeded world's user and phone ids in place of the page's placeholders) and its errors.
 */

let w: LegacyWorld;
beforeAll(async () => {
  w = await legacyWorld();
});
afterAll(() => w.gw.close());
afterEach(() => expectNoUnexpected(w.gw));

/** `curl -X POST https://api.example.com/v1/users/{user}/agents -H "x-api-key: …" -H "Content-Type: application/json" -d '…'` */
function curl(user: string, data: string) {
  return w.app.request(`https://api.example.com/v1/users/${user}/agents`, {
    method: 'POST',
    headers: { 'x-api-key': w.gw.tokens.full, 'Content-Type': 'application/json' },
    body: data,
  });
}

/** The page's 201 body: the same keys, in the same order, with the same formats. */
function expectPageAgent(body: Record<string, unknown>, expected: { user: string; phone: string; prompt: string; name: string }) {
  expect(Object.keys(body)).toEqual(['agent_id', 'user_id', 'phone_number_id', 'prompt_id', 'name', 'created_at', 'updated_at']);
  expect(body).toEqual({
    agent_id: expect.stringMatching(AGENT_ID),
    user_id: expected.user,
    phone_number_id: expected.phone,
    prompt_id: expected.prompt,
    name: expected.name,
    created_at: expect.stringMatching(TIMESTAMP),
    updated_at: expect.stringMatching(TIMESTAMP),
  });
}

describe('the seed page, user-scoped-create-agent.md', () => {
  it('Example Requests (cURL): the create body answers 201 with the documented agent', async () => {
    const phone = await w.gw.addNumber(w.gw.alice.id, '836990829491415');
    const res = await curl(
      w.gw.alice.id,
      `{
    "phone_number_id": "${phone.id}",
    "prompt_id": "prompt_xyz789",
    "name": "Customer Support Agent"
  }`,
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const agent = (await res.json()) as Record<string, unknown>;
    expectPageAgent(agent, { user: w.gw.alice.id, phone: phone.id, prompt: 'prompt_xyz789', name: 'Customer Support Agent' });
    expect(agent.created_at).toBe(agent.updated_at);
  });

  it('Common Use Cases: Create WhatsApp Support Agent', async () => {
    const res = await curl(
      w.gw.alice.id,
      `{
    "phone_number_id": "${w.gw.numbers.alice.id}",
    "prompt_id": "prompt_support_v1",
    "name": "WhatsApp Support Bot"
  }`,
    );
    expect(res.status).toBe(201);
    expectPageAgent((await res.json()) as Record<string, unknown>, {
      user: w.gw.alice.id,
      phone: w.gw.numbers.alice.id,
      prompt: 'prompt_support_v1',
      name: 'WhatsApp Support Bot',
    });
  });

  it('Common Use Cases: Create Instagram Sales Agent', async () => {
    const res = await curl(
      w.gw.bob.id,
      `{
    "phone_number_id": "${w.gw.numbers.bob.id}",
    "prompt_id": "prompt_sales_v2",
    "name": "Instagram Sales Assistant"
  }`,
    );
    expect(res.status).toBe(201);
    expectPageAgent((await res.json()) as Record<string, unknown>, {
      user: w.gw.bob.id,
      phone: w.gw.numbers.bob.id,
      prompt: 'prompt_sales_v2',
      name: 'Instagram Sales Assistant',
    });
  });

  it('Error Responses: 400 prompt_id is required, 401 Invalid API key, 409 Phone number already has an active agent', async () => {
    const missingPrompt = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: w.gw.numbers.aliceSpare.id, name: 'Customer Support Agent' } });
    expectLegacyError(missingPrompt, 400, 'Validation error', 'prompt_id is required');
    expect(Object.keys(missingPrompt.body)).toEqual(['error', 'message', 'correlation_id', 'timestamp']);

    const badKey = await w.call('POST', `${w.paths.alice}/agents`, { token: 'sk_live_...', json: { phone_number_id: 'pn_abc123', prompt_id: 'prompt_xyz789', name: 'x' } });
    expectLegacyError(badKey, 401, 'Unauthorized', 'Invalid API key');

    // The WhatsApp example above holds Alice's number.
    const taken = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: w.gw.numbers.alice.id, prompt_id: 'prompt_support_v2', name: 'Again' } });
    expectLegacyError(taken, 409, 'Conflict', 'Phone number already has an active agent');
  });

  it('Troubleshooting: "Phone number not found" and "Invalid prompt_id" (no extra spaces)', async () => {
    const unknown = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: 'pn_abc123', prompt_id: 'prompt_xyz789', name: 'x' } });
    expectLegacyError(unknown, 404, 'Not Found', 'Phone number not found');
    const padded = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: w.gw.numbers.aliceSpare.id, prompt_id: 'prompt_xyz789 ', name: 'x' } });
    expectLegacyError(padded, 400, 'Validation error', 'Invalid prompt_id');
    // The page's troubleshooting step lists the user's numbers.
    const numbers = await w.call('GET', `${w.paths.alice}/phone_numbers`);
    expect(numbers.status).toBe(200);
  });
});
