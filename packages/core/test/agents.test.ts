import { describe, expect, it } from 'vitest';
import { isDomainError, type DomainError } from '../src';
import { instructions, world } from './setup';

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (isDomainError(error)) return error;
    throw error;
  }
  throw new Error('expected a domain error');
}

describe('agents', () => {
  it('R1: a second active agent on a number is a conflict', async () => {
    const w = await world();
    await w.core.createAgent({ ctx: w.ctx(), input: { name: 'First', handle: 'first', instructions, phoneNumberId: w.aliceNumber.id } });
    const error = await failure(
      w.core.createAgent({ ctx: w.ctx(), input: { name: 'Second', handle: 'second', instructions, phoneNumberId: w.aliceNumber.id } }),
    );
    expect(error.code).toBe('phone_number_in_use');
    expect(error.message).toBe('Phone number already has an active agent');
  });

  it('R1: moving an agent onto a held number, or re-activating it there, is a conflict', async () => {
    const w = await world();
    const a = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', handle: 'a', instructions, phoneNumberId: w.aliceNumber.id } });
    const b = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'B', handle: 'b', instructions } });
    expect((await failure(w.core.updateAgent({ ctx: w.ctx(), id: b.id, input: { phoneNumberId: w.aliceNumber.id } }))).code).toBe('phone_number_in_use');

    await w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { isActive: false } });
    await w.core.updateAgent({ ctx: w.ctx(), id: b.id, input: { phoneNumberId: w.aliceNumber.id } });
    expect((await failure(w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { isActive: true } }))).code).toBe('phone_number_in_use');
  });

  it('an agent moved to another user’s number belongs to that user', async () => {
    const w = await world();
    const a = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', promptId: 'p', phoneNumberId: w.aliceNumber.id } });
    expect(a.userId).toBe(w.alice.id);
    const moved = await w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { phoneNumberId: w.bobNumber.id } });
    expect(moved.userId).toBe(w.bob.id);
    const bob = w.ctx(w.userActor(w.bob.id));
    expect((await w.core.getAgent({ ctx: bob, id: a.id })).userId).toBe(w.bob.id);
  });

  it('a deactivation reason needs an inactive agent; re-activation clears it', async () => {
    const w = await world();
    const a = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', handle: 'a', instructions } });
    const error = await failure(w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { deactivatedReason: 'why' } }));
    expect(error.issues.map((i) => i.field)).toEqual(['deactivated_reason']);
    await w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { isActive: false } });
    const reasoned = await w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { deactivatedReason: 'paused' } });
    expect(reasoned).toMatchObject({ isActive: false, deactivatedReason: 'paused' });
    const back = await w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { isActive: true, deactivatedReason: null } });
    expect(back).toMatchObject({ isActive: true, deactivatedReason: null, deactivatedAt: null });
  });

  it('R1: an inactive agent does not hold its number', async () => {
    const w = await world();
    const a = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', handle: 'a', instructions, phoneNumberId: w.aliceNumber.id } });
    const off = await w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { isActive: false, deactivatedReason: 'paused' } });
    expect(off.deactivatedAt).toBe(w.deps.clock.now());
    expect(off.deactivatedReason).toBe('paused');
    const b = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'B', handle: 'b', instructions, phoneNumberId: w.aliceNumber.id } });
    expect(b.isActive).toBe(true);
  });

  it('R3: a deleted agent is not found, frees its handle and its number', async () => {
    const w = await world();
    const a = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', handle: 'support', instructions, phoneNumberId: w.aliceNumber.id } });
    await w.core.deleteAgent({ ctx: w.ctx(), id: a.id });
    expect((await failure(w.core.getAgent({ ctx: w.ctx(), id: a.id }))).code).toBe('not_found');
    expect((await failure(w.core.deleteAgent({ ctx: w.ctx(), id: a.id }))).code).toBe('not_found');
    const b = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'B', handle: 'Support', instructions, phoneNumberId: w.aliceNumber.id } });
    expect(b.handle).toBe('Support');
    const list = await w.core.listAgents({ ctx: w.ctx(), filter: {}, page: { kind: 'offset', limit: 50, offset: 0 } });
    expect(list.items.map((x) => x.id)).toEqual([b.id]);
  });

  it('R3: a number with an active agent cannot be deleted; without one it can', async () => {
    const w = await world();
    const a = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', handle: 'a', instructions, phoneNumberId: w.aliceNumber.id } });
    const aliceCtx = w.ctx(w.userActor(w.alice.id));
    expect((await failure(w.core.deletePhoneNumber({ ctx: aliceCtx, id: w.aliceNumber.id }))).code).toBe('phone_number_has_active_agent');
    await w.core.deleteAgent({ ctx: w.ctx(), id: a.id });
    await w.core.deletePhoneNumber({ ctx: aliceCtx, id: w.aliceNumber.id });
    expect((await failure(w.core.getPhoneNumber({ ctx: aliceCtx, id: w.aliceNumber.id }))).code).toBe('not_found');
  });

  it('R4: handles are unique per org case-insensitively and keep their case', async () => {
    const w = await world();
    const a = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', handle: 'ticketTriage', instructions } });
    expect(a.handle).toBe('ticketTriage');
    expect((await failure(w.core.createAgent({ ctx: w.ctx(), input: { name: 'B', handle: 'TICKETTRIAGE', instructions } }))).code).toBe('agent_handle_taken');
    // Another org may use it.
    const other = await w.core.createAgent({ ctx: w.ctx(w.otherActor), input: { name: 'C', handle: 'ticketTriage', instructions } });
    expect(other.handle).toBe('ticketTriage');
  });

  it('R4: handle format is checked', async () => {
    const w = await world();
    for (const handle of ['', '1abc', 'has space', 'snake_case', 'a'.repeat(65)]) {
      const error = await failure(w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', handle, instructions } }));
      expect(error.code).toBe('validation_failed');
      expect(error.issues[0]?.field).toBe('handle');
    }
    await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', handle: 'a'.repeat(64), instructions } });
  });

  it('R4: legacy agents get a handle derived from the name, numbered on collision', async () => {
    const w = await world();
    const make = (name: string) => w.core.createAgent({ ctx: w.ctx(), input: { name, promptId: 'pmpt_1' } });
    expect((await make('Customer Support Agent')).handle).toBe('customerSupportAgent');
    expect((await make('customer  support-agent!')).handle).toBe('customerSupportAgent2');
    expect((await make('Customer Support Agent')).handle).toBe('customerSupportAgent3');
    expect((await make('Crème Brûlée Bot')).handle).toBe('cremeBruleeBot');
    expect((await make('2024 Sales')).handle).toBe('agent2024Sales');
    expect((await make('🤖')).handle).toBe('agent');
  });

  it('R5: an agent needs instructions, instructions_html or a prompt_id', async () => {
    const w = await world();
    const error = await failure(w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', handle: 'a' } }));
    expect(error.code).toBe('validation_failed');
    expect(error.issues.map((i) => i.field)).toEqual(['instructions']);
    await w.core.createAgent({ ctx: w.ctx(), input: { name: 'B', handle: 'b', promptId: 'pmpt_abc' } });
  });

  it('R5: instructions_html is sanitized and plain text derived when instructions is absent', async () => {
    const w = await world();
    const a = await w.core.createAgent({
      ctx: w.ctx(),
      input: { name: 'A', handle: 'a', instructionsHtml: '<p>Be <strong>kind</strong></p><script>alert(1)</script>' },
    });
    expect(a.instructionsHtml).not.toContain('<script');
    expect(a.instructions).toContain('Be');
    expect(a.instructions).toContain('kind');
  });

  it('R5: prompt_id must be 1-255 of [A-Za-z0-9_.:-] with no padding', async () => {
    const w = await world();
    for (const promptId of ['', ' pmpt_1', 'pmpt_1 ', 'has space', 'a'.repeat(256), 'pmpt/1']) {
      const error = await failure(w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', promptId } }));
      expect(error.issues.map((i) => i.message)).toContain('Invalid prompt_id');
    }
    const ok = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', promptId: 'prompt_xyz789:v2.1-a' } });
    expect(ok.promptId).toBe('prompt_xyz789:v2.1-a');
  });

  it('R2: changing name, prompt_id or instructions keeps the agent active and its handle', async () => {
    const w = await world();
    const a = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'Support', promptId: 'p1', phoneNumberId: w.aliceNumber.id } });
    const b = await w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { name: 'Help Desk', promptId: 'p2', instructions: 'new' } });
    expect(b.handle).toBe('support');
    expect(b.isActive).toBe(true);
    expect(b.updatedAt).toBe(w.deps.clock.now());
  });

  it('R6: tools, derived connectors and their checks', async () => {
    const w = await world();
    const tools = [
      { name: 'shopify_get_order', connectorId: 'connector_abc' },
      { name: 'shopify_search_orders', connectorId: 'connector_abc' },
      { name: 'zendesk_add_public_reply', connectorId: 'connector_def' },
      { name: 'knowledge_search', connectorId: null },
    ];
    const a = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', handle: 'a', instructions, tools } });
    expect(a.connectors).toEqual(['connector_abc', 'connector_def']);

    const patched = await w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { tools: [{ name: 'slack_post', connectorId: 'connector_xyz' }] } });
    expect(patched.connectors).toEqual(['connector_xyz']);

    const missing = await failure(w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { connectors: ['connector_other'] } }));
    expect(missing.issues[0]?.field).toBe('connectors');

    const bad = await failure(
      w.core.createAgent({
        ctx: w.ctx(),
        input: { name: 'B', handle: 'b', instructions, tools: [{ name: 'Bad-Name', connectorId: 'conn_1' }] },
      }),
    );
    expect(bad.issues.map((i) => i.field)).toEqual(['tools.0.name', 'tools.0.connector_id']);

    const tooMany = Array.from({ length: 65 }, (_, i) => ({ name: `tool_${i}`, connectorId: null }));
    expect((await failure(w.core.createAgent({ ctx: w.ctx(), input: { name: 'C', handle: 'c', instructions, tools: tooMany } }))).issues[0]?.field).toBe('tools');
  });

  it('R7: sub-agents exist in the org, exclude the agent itself, stay acyclic and at most 3 deep', async () => {
    const w = await world();
    const mk = (handle: string, subAgents: string[] = []) =>
      w.core.createAgent({ ctx: w.ctx(), input: { name: handle, handle, instructions, subAgents } });
    const c = await mk('c');
    const b = await mk('b', [c.id]);
    const a = await mk('a', [b.id]); // a→b→c: 3, allowed
    const d = await mk('d');
    expect((await failure(w.core.updateAgent({ ctx: w.ctx(), id: c.id, input: { subAgents: [d.id] } }))).issues[0]?.rule).toBe('too_deep');
    expect((await failure(w.core.updateAgent({ ctx: w.ctx(), id: c.id, input: { subAgents: [a.id] } }))).issues[0]?.rule).toBe('cycle');
    expect((await failure(w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { subAgents: [a.id] } }))).issues[0]?.rule).toBe('self');
    expect((await failure(w.core.updateAgent({ ctx: w.ctx(), id: a.id, input: { subAgents: [b.id, b.id] } }))).issues[0]?.rule).toBe('duplicate');

    const unknown = await failure(mk('e', ['agent_ffffffffffffffffffffffff']));
    expect(unknown.code).toBe('reference_not_found');
    expect(unknown.id).toBe('agent_ffffffffffffffffffffffff');

    const foreign = await w.core.createAgent({ ctx: w.ctx(w.otherActor), input: { name: 'F', handle: 'f', instructions } });
    expect((await failure(mk('g', [foreign.id]))).code).toBe('reference_not_found');

    const seventeen = Array.from({ length: 17 }, (_, i) => `agent_${String(i).padStart(24, '0')}`);
    expect((await failure(mk('h', seventeen))).issues[0]?.rule).toBe('too_many');
  });

  it('R8: data sources', async () => {
    const w = await world();
    const a = await w.core.createAgent({
      ctx: w.ctx(),
      input: {
        name: 'A',
        handle: 'a',
        instructions,
        dataSources: [
          { sourceId: 'source_1', scope: 'all', documents: [] },
          { sourceId: 'source_2', scope: 'selected', documents: ['doc_a', 'doc_b'] },
        ],
      },
    });
    expect(a.dataSources[0]?.documents).toEqual([]);
    const bad = await failure(
      w.core.createAgent({
        ctx: w.ctx(),
        input: {
          name: 'B',
          handle: 'b',
          instructions,
          dataSources: [
            { sourceId: 'src_1', scope: 'selected', documents: [] },
            { sourceId: 'source_3', scope: 'all', documents: ['doc_a'] },
          ],
        },
      }),
    );
    expect(bad.issues.map((i) => i.field)).toEqual(['data_sources.0.source_id', 'data_sources.0.documents', 'data_sources.1.documents']);
    const thirtyThree = Array.from({ length: 33 }, (_, i) => ({ sourceId: `source_${i}`, scope: 'all' as const, documents: [] }));
    expect((await failure(w.core.createAgent({ ctx: w.ctx(), input: { name: 'C', handle: 'c', instructions, dataSources: thirtyThree } }))).issues[0]?.field).toBe('data_sources');
  });

  it('R9: presentation fields', async () => {
    const w = await world();
    const a = await w.core.createAgent({ ctx: w.ctx(), input: { name: '  Padded  ', handle: 'a', instructions } });
    expect(a.color).toBe('#6366f1');
    expect(a.name).toBe('Padded');
    expect(a.model).toBeNull();
    expect(a.includeSystemPrompt).toBe(true);
    const ok = await w.core.createAgent({
      ctx: w.ctx(),
      input: { name: 'B', handle: 'b', instructions, color: '#A1b2C3', avatar: '🤖', model: 'gpt-5.4' },
    });
    expect(ok.avatar).toBe('🤖');
    await w.core.createAgent({ ctx: w.ctx(), input: { name: 'C', handle: 'c', instructions, avatar: 'https://cdn.example.com/a.png' } });
    const bad = await failure(
      w.core.createAgent({
        ctx: w.ctx(),
        input: { name: '   ', handle: 'd', instructions, color: 'red', avatar: 'http://x.test/a.png', model: 'bad model', description: 'x'.repeat(1001) },
      }),
    );
    expect(bad.issues.map((i) => i.field).sort()).toEqual(['avatar', 'color', 'description', 'model', 'name']);
    expect((await failure(w.core.createAgent({ ctx: w.ctx(), input: { name: 'E', handle: 'e', instructions, avatar: '🤖🤖' } }))).issues[0]?.field).toBe('avatar');
    expect((await failure(w.core.createAgent({ ctx: w.ctx(), input: { name: 'F', handle: 'f', instructions: 'x'.repeat(100_001) } }))).issues[0]?.field).toBe('instructions');
  });

  it('R10: an org cannot hold more live agents than its plan allows', async () => {
    const w = await world({ plan: 'free' });
    for (let i = 0; i < 10; i++) await w.core.createAgent({ ctx: w.ctx(), input: { name: `A${i}`, instructions } });
    const error = await failure(w.core.createAgent({ ctx: w.ctx(), input: { name: 'Eleventh', instructions } }));
    expect(error.code).toBe('plan_limit_reached');
    expect(error.message).toMatch(/limit/);
    const list = await w.core.listAgents({ ctx: w.ctx(), filter: {}, page: { kind: 'offset', limit: 1, offset: 0 } });
    await w.core.deleteAgent({ ctx: w.ctx(), id: list.items[0]!.id });
    await w.core.createAgent({ ctx: w.ctx(), input: { name: 'Eleventh', instructions } });
  });

  it('R10: enterprise has no limit and the limits are configurable', async () => {
    const w = await world({ plan: 'free', planLimits: { free: 1, pro: 2, enterprise: null } });
    await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', instructions } });
    expect((await failure(w.core.createAgent({ ctx: w.ctx(), input: { name: 'B', instructions } }))).code).toBe('plan_limit_reached');
  });

  it('R11: another org’s agent is indistinguishable from a missing one', async () => {
    const w = await world();
    const mine = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'Mine', handle: 'mine', instructions } });
    const other = w.ctx(w.otherActor);
    for (const call of [
      w.core.getAgent({ ctx: other, id: mine.id }),
      w.core.updateAgent({ ctx: other, id: mine.id, input: { name: 'x' } }),
      w.core.deleteAgent({ ctx: other, id: mine.id }),
    ]) {
      const error = await failure(call);
      expect(error.code).toBe('not_found');
    }
    const list = await w.core.listAgents({ ctx: other, filter: {}, page: { kind: 'offset', limit: 50, offset: 0 } });
    expect(list.items).toEqual([]);
  });

  it('R11: in a user view only agents on that user’s numbers are visible', async () => {
    const w = await world();
    const onAlice = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', promptId: 'p', phoneNumberId: w.aliceNumber.id } });
    const onBob = await w.core.createAgent({ ctx: w.ctx(), input: { name: 'B', promptId: 'p', phoneNumberId: w.bobNumber.id } });
    const alice = w.ctx(w.userActor(w.alice.id));
    expect((await w.core.getAgent({ ctx: alice, id: onAlice.id })).id).toBe(onAlice.id);
    expect((await failure(w.core.getAgent({ ctx: alice, id: onBob.id }))).code).toBe('not_found');
  });

  it('R12: a phone_number_id that is unknown, deleted, of another org or (user view) of another user is not found', async () => {
    const w = await world();
    const alice = w.ctx(w.userActor(w.alice.id));
    for (const phoneNumberId of ['pn_ffffffffffffffffffffffff', w.otherNumber.id, w.bobNumber.id]) {
      const error = await failure(w.core.createAgent({ ctx: alice, input: { name: 'A', promptId: 'p', phoneNumberId } }));
      expect(error.code).toBe('reference_not_found');
      expect(error.message).toBe('Phone number not found');
    }
    await w.core.deletePhoneNumber({ ctx: w.ctx(w.userActor(w.bob.id)), id: w.bobNumber.id });
    const deleted = await failure(w.core.createAgent({ ctx: w.ctx(), input: { name: 'A', promptId: 'p', phoneNumberId: w.bobNumber.id } }));
    expect(deleted.code).toBe('reference_not_found');
  });

  it('scopes are checked before anything else', async () => {
    const w = await world();
    const { key } = await w.core.createApiKey({ uow: w.uow, input: { orgId: w.org.id, scopes: ['agents:read'] } });
    const error = await failure(w.core.createAgent({ ctx: w.ctx(w.core.actorFor(key)), input: { name: '' } }));
    expect(error.code).toBe('forbidden');
    expect(error.scope).toBe('agents:write');
  });

  it('a client-chosen agent id must be well formed and unused', async () => {
    const w = await world();
    await w.core.createAgent({ ctx: w.ctx(), input: { id: 'agt_custom-1', name: 'A', promptId: 'p' } });
    expect((await failure(w.core.createAgent({ ctx: w.ctx(), input: { id: 'agt_custom-1', name: 'B', promptId: 'p' } }))).code).toBe('agent_id_taken');
    expect((await failure(w.core.createAgent({ ctx: w.ctx(), input: { id: 'bad id!', name: 'B', promptId: 'p' } }))).issues[0]?.field).toBe('agent_id');
  });

  it('keyset pages walk every agent once, newest first', async () => {
    const w = await world();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await w.core.createAgent({ ctx: w.ctx(), input: { name: `A${i}`, instructions } })).id);
      w.deps.clock.advance(1);
    }
    const seen: string[] = [];
    let after = null;
    do {
      const page = await w.core.listAgents({ ctx: w.ctx(), filter: {}, page: { kind: 'keyset', limit: 3, after } });
      seen.push(...page.items.map((a) => a.id));
      after = page.next;
    } while (after !== null);
    expect(seen).toEqual([...ids].reverse());
  });
});
