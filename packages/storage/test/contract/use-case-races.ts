import { createCore, SCOPES, type Actor, type Core, type Ctx, type UnitOfWork } from '@gateway/core';
import { htmlSanitizer, randomIds, sha256Hasher, systemClock } from '@gateway/platform';
import { describe, expect, it } from 'vitest';
import { seedWorld, useStore, W, world, type OpenStore } from './fixtures';

/**
 * Races at the level of the use cases, run on every driver (ADR 0006). Each is a read-then-write
 * decision that a single writer makes safe for free and a pool of connections does not: the named
 * locks and targeted writes are what make them hold on PostgreSQL.
 */
const PLAN_LIMIT = 5;

function coreOn(uow: UnitOfWork): { core: Core; ctx: Ctx } {
  const core = createCore({ clock: systemClock, ids: randomIds, hasher: sha256Hasher, html: htmlSanitizer, planLimits: { free: PLAN_LIMIT, pro: PLAN_LIMIT, enterprise: null } });
  const actor: Actor = { orgId: W.orgA, keyId: 'key_races', keyUserId: null, scopes: new Set(SCOPES), visibility: { orgId: W.orgA } };
  return { core, ctx: { actor, uow } };
}

const settle = (calls: Promise<unknown>[]) => Promise.allSettled(calls);
const codes = (results: PromiseSettledResult<unknown>[]) =>
  results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as { code?: string }).code ?? String(r.reason));

export function useCaseRacesContract(open: OpenStore) {
  describe('use-case races', () => {
    const uow = useStore(open);

    it(`R10: ${PLAN_LIMIT + 5} creates at once with room for one more agent: exactly one wins, the plan limit holds`, async () => {
      await seedWorld(uow());
      const { core, ctx } = coreOn(uow());
      for (let i = 0; i < PLAN_LIMIT - 1; i++) await core.createAgent({ ctx, input: { name: `Existing ${i}`, instructions: 'Help.' } });
      const results = await settle(Array.from({ length: PLAN_LIMIT + 5 }, (_, i) => core.createAgent({ ctx, input: { name: `Racer ${i}`, instructions: 'Help.' } })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(codes(results)).toEqual(Array(PLAN_LIMIT + 4).fill('plan_limit_reached'));
      expect(await uow().read((repos) => repos.agents.countLive(W.orgA))).toBe(PLAN_LIMIT);
    });

    it('R4: creates deriving a handle from the same name at once get distinct handles', async () => {
      await seedWorld(uow());
      const { core, ctx } = coreOn(uow());
      const results = await settle(Array.from({ length: 4 }, () => core.createAgent({ ctx, input: { name: 'Support Desk', instructions: 'Help.' } })));
      expect(codes(results)).toEqual([]);
      const handles = results.map((r) => (r as PromiseFulfilledResult<{ handle: string }>).value.handle.toLowerCase());
      expect(new Set(handles).size).toBe(4);
    });

    it('R7: two opposite hand-offs committed at once: one wins, the other is refused, the graph stays acyclic', async () => {
      await seedWorld(uow());
      const { core, ctx } = coreOn(uow());
      const a = await core.createAgent({ ctx, input: { name: 'A', handle: 'a', instructions: 'Help.' } });
      const b = await core.createAgent({ ctx, input: { name: 'B', handle: 'b', instructions: 'Help.' } });
      const results = await settle([
        core.updateAgent({ ctx, id: a.id, input: { subAgents: [b.id] } }),
        core.updateAgent({ ctx, id: b.id, input: { subAgents: [a.id] } }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(codes(results)).toEqual(['validation_failed']);
      const graph = await uow().read((repos) => repos.agents.subAgentGraph(W.orgA));
      expect((graph.get(a.id) ?? []).includes(b.id) && (graph.get(b.id) ?? []).includes(a.id)).toBe(false);
    });

    it('two PATCHes of one agent at once: both changes are kept (no lost update)', async () => {
      await seedWorld(uow());
      const { core, ctx } = coreOn(uow());
      const agent = await core.createAgent({ ctx, input: { name: 'Before', handle: 'patched', instructions: 'Help.' } });
      await Promise.all([
        core.updateAgent({ ctx, id: agent.id, input: { name: 'Renamed' } }),
        core.updateAgent({ ctx, id: agent.id, input: { description: 'Described' } }),
        core.updateAgent({ ctx, id: agent.id, input: { color: '#112233' } }),
      ]);
      expect(await core.getAgent({ ctx, id: agent.id })).toMatchObject({ name: 'Renamed', description: 'Described', color: '#112233' });
    });

    it('R1/R2: a takeover racing inbound messages: no active conversation stays with the old agent, no message is lost', async () => {
      await seedWorld(uow());
      const { core, ctx } = coreOn(uow());
      const phone = world.phones[0]!;
      const old = await core.createAgent({ ctx, input: { name: 'Old', handle: 'old', instructions: 'Help.', phoneNumberId: phone.id } });
      const inbound = (i: number) =>
        core.recordInboundMessages({
          uow: uow(),
          messages: [{ platform: phone.platform, metaPhoneNumberId: phone.metaPhoneNumberId, customerId: `cust-${i % 3}`, platformMessageId: `race-${i}`, type: 'text', text: `m${i}` }],
        });
      const takeover = async () => {
        await core.updateAgent({ ctx, id: old.id, input: { isActive: false } });
        return core.createAgent({ ctx, input: { name: 'New', handle: 'new', instructions: 'Help.', phoneNumberId: phone.id } });
      };
      const [created] = await Promise.all([takeover(), ...Array.from({ length: 12 }, (_, i) => inbound(i))]);
      const fresh = created as { id: string };
      const conversations = await uow().read((repos) => repos.conversations.list({ orgId: W.orgA }, { phoneNumberId: phone.id }, { kind: 'offset', limit: 100, offset: 0 }));
      const active = conversations.items.filter((c) => c.status === 'active');
      expect(active.filter((c) => c.agentId !== fresh.id)).toEqual([]);
      const total = conversations.items.reduce((n, c) => n + c.messageCount, 0);
      expect(total).toBe(12);
      for (const c of conversations.items) {
        const messages = await uow().read((repos) => repos.messages.list(c.id, { kind: 'offset', limit: 100, offset: 0 }));
        expect(messages.items.map((m) => m.seq)).toEqual(Array.from({ length: c.messageCount }, (_, i) => i + 1));
      }
    });

    it('recording a key\'s use racing its revocation: the key ends revoked', async () => {
      await seedWorld(uow());
      const { core } = coreOn(uow());
      for (let round = 0; round < 5; round++) {
        const { key } = await core.createApiKey({ uow: uow(), input: { orgId: W.orgA, scopes: ['agents:read'] } });
        await Promise.all([core.touchApiKey({ uow: uow(), key }), core.revokeApiKey({ uow: uow(), id: key.id }), core.touchApiKey({ uow: uow(), key })]);
        expect((await uow().read((repos) => repos.apiKeys.get(key.id)))?.revokedAt).not.toBeNull();
      }
    });
  });
}
