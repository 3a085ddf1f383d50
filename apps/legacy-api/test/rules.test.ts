import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { legacyWorld, type LegacyWorld } from './helpers';

/** The rules that live in fields the legacy dialect does not show, exercised through its routes. */
let w: LegacyWorld;
beforeEach(async () => {
  w = await legacyWorld();
});
afterEach(async () => {
  expect(w.gw.unexpected).toEqual([]);
  await w.gw.close();
});

/** The org-wide view of the same agents, straight through the core. */
async function orgCtx() {
  const key = await w.gw.core.authenticate({ uow: w.gw.uow, token: w.gw.tokens.full });
  if (!key) throw new Error('the seeded key must authenticate');
  return { actor: w.gw.core.actorFor(key), uow: w.gw.uow };
}
const readAgent = async (id: string) => w.gw.core.getAgent({ ctx: await orgCtx(), id });

describe('legacy routes and the rules of hidden fields', () => {
  it('R4: a legacy agent gets a camelCase handle from its name, numbered on collision, kept on rename', async () => {
    const first = await w.call('POST', `${w.paths.alice}/agents`, {
      json: { phone_number_id: w.gw.numbers.alice.id, prompt_id: 'pmpt_a', name: 'Customer Support Agent' },
    });
    expect(first.status).toBe(201);
    const second = await w.call('POST', `${w.paths.alice}/agents`, {
      json: { phone_number_id: w.gw.numbers.aliceSpare.id, prompt_id: 'pmpt_b', name: 'customer support agent!' },
    });
    expect(second.status).toBe(201);
    expect((await readAgent(first.body.agent_id)).handle).toBe('customerSupportAgent');
    expect((await readAgent(second.body.agent_id)).handle).toBe('customerSupportAgent2');

    const renamed = await w.call('PATCH', `${w.paths.alice}/agents/${first.body.agent_id}`, { json: { name: 'Help Desk' } });
    expect(renamed.body.name).toBe('Help Desk');
    expect((await readAgent(first.body.agent_id)).handle).toBe('customerSupportAgent');
  });

  it('R9: a name is 1-255 characters after trimming, stored trimmed', async () => {
    const long = await w.call('POST', `${w.paths.alice}/agents`, {
      json: { phone_number_id: w.gw.numbers.alice.id, prompt_id: 'pmpt_a', name: 'x'.repeat(256) },
    });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ error: 'Validation error', message: 'name must be 1-255 characters' });
    const blank = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: w.gw.numbers.alice.id, prompt_id: 'pmpt_a', name: '   ' } });
    expect(blank.status).toBe(400);
    const padded = await w.call('POST', `${w.paths.alice}/agents`, { json: { phone_number_id: w.gw.numbers.alice.id, prompt_id: 'pmpt_a', name: '  Sales  ' } });
    expect(padded.status).toBe(201);
    expect(padded.body.name).toBe('Sales');
  });

  it('R6, R7, R8: a legacy update keeps the tools, connectors, sub-agents and data sources set in the org dialect', async () => {
    const ctx = await orgCtx();
    const helper = await w.gw.core.createAgent({ ctx, input: { name: 'Helper', handle: 'helper', instructions: 'Help.' } });
    const agent = await w.gw.core.createAgent({
      ctx,
      input: {
        name: 'Rich',
        handle: 'rich',
        instructions: 'Answer.',
        promptId: 'pmpt_rich',
        phoneNumberId: w.gw.numbers.alice.id,
        tools: [{ name: 'shopify_get_order', connectorId: 'connector_abc' }],
        subAgents: [helper.id],
        dataSources: [{ sourceId: 'source_kb', scope: 'selected', documents: ['doc_1'] }],
      },
    });
    const res = await w.call('PATCH', `${w.paths.alice}/agents/${agent.id}`, { json: { name: 'Richer', prompt_id: 'pmpt_richer' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ agent_id: agent.id, name: 'Richer', prompt_id: 'pmpt_richer' });
    const after = await readAgent(agent.id);
    expect(after).toMatchObject({
      tools: [{ name: 'shopify_get_order', connectorId: 'connector_abc' }],
      connectors: ['connector_abc'],
      subAgents: [helper.id],
      dataSources: [{ sourceId: 'source_kb', scope: 'selected', documents: ['doc_1'] }],
      instructions: 'Answer.',
    });
  });
});
