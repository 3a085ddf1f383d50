import type { Agent, SortKey } from '@gateway/core';
import { describe, expect, it } from 'vitest';
import {
  anAgent,
  insertAgents,
  orgView,
  rejectsWithCode,
  seedWorld,
  T0,
  userView,
  useStore,
  W,
  type OpenStore,
} from './fixtures';

export function agentsContract(open: OpenStore) {
  describe('agents', () => {
    const uow = useStore(open);
    const get = (id: string, view: { orgId: string; ownerUserId?: string } = orgView()) =>
      uow().read((repos) => repos.agents.get(view, id));
    const ids = (agents: { id: string }[]) => agents.map((a) => a.id);

    it('stores every field of an agent and reads it back', async () => {
      await seedWorld(uow());
      const agent = anAgent('agent_full', W.orgA, {
        userId: W.a1,
        handle: 'SupportBot',
        description: 'Answers questions',
        instructions: 'Be kind.',
        instructionsHtml: '<p>Be <strong>kind</strong>.</p>',
        promptId: 'prompt:v2.1',
        phoneNumberId: W.pnA1,
        model: 'gpt-4o',
        color: '#112233',
        avatar: '🤖',
        includeSystemPrompt: false,
        tools: [
          { name: 'lookup_order', connectorId: 'connector_1' },
          { name: 'calc', connectorId: null },
        ],
        connectors: ['connector_1'],
        subAgents: ['agent_helper'],
        dataSources: [
          { sourceId: 'src_1', scope: 'selected', documents: ['doc_1', 'doc_2'] },
          { sourceId: 'src_2', scope: 'all', documents: [] },
        ],
        createdAt: T0 + 1,
        updatedAt: T0 + 2,
      });
      await insertAgents(uow(), agent);
      expect(await get(agent.id)).toEqual(agent);
    });

    it('update writes every field', async () => {
      await seedWorld(uow());
      const agent = anAgent('agent_1', W.orgA, { phoneNumberId: W.pnA1 });
      await insertAgents(uow(), agent);
      const updated: Agent = {
        ...agent,
        name: 'Renamed',
        handle: 'Renamed',
        tools: [{ name: 'search', connectorId: null }],
        isActive: false,
        deactivatedReason: 'paused',
        deactivatedAt: T0 + 5,
        updatedAt: T0 + 5,
      };
      await uow().write((repos) => repos.agents.update(updated));
      expect(await get(agent.id)).toEqual(updated);
    });

    it("R11: another org's agent, an unknown id and a deleted agent are all null", async () => {
      await seedWorld(uow());
      await insertAgents(
        uow(),
        anAgent('agent_b', W.orgB, { phoneNumberId: W.pnB1 }),
        anAgent('agent_gone', W.orgA, { deletedAt: T0 + 1 }),
      );
      expect(await get('agent_b', orgView(W.orgA))).toBeNull();
      expect(await get('agent_nope')).toBeNull();
      expect(await get('agent_gone')).toBeNull();
      expect((await get('agent_b', orgView(W.orgB)))?.id).toBe('agent_b');
    });

    it("legacy visibility: a user sees agents on numbers they own; agents without a number only org-wide", async () => {
      await seedWorld(uow());
      await insertAgents(
        uow(),
        anAgent('agent_on_a1', W.orgA, { phoneNumberId: W.pnA1 }),
        anAgent('agent_on_a2', W.orgA, { phoneNumberId: W.pnA2 }),
        anAgent('agent_no_number', W.orgA),
      );
      expect((await get('agent_on_a1', userView(W.a1)))?.id).toBe('agent_on_a1');
      expect(await get('agent_on_a2', userView(W.a1))).toBeNull();
      expect(await get('agent_no_number', userView(W.a1))).toBeNull();
      expect((await get('agent_no_number'))?.id).toBe('agent_no_number');
      const listed = await uow().read((repos) => repos.agents.list(userView(W.a2), {}, { kind: 'offset', limit: 10, offset: 0 }));
      expect(ids(listed.items)).toEqual(['agent_on_a2']);
      expect(listed.total).toBe(1);
    });

    it('idExists sees every agent id, deleted or not, in any org', async () => {
      await seedWorld(uow());
      await insertAgents(uow(), anAgent('agent_b', W.orgB), anAgent('agent_gone', W.orgA, { deletedAt: T0 }));
      expect(await uow().read((repos) => repos.agents.idExists('agent_b'))).toBe(true);
      expect(await uow().read((repos) => repos.agents.idExists('agent_gone'))).toBe(true);
      expect(await uow().read((repos) => repos.agents.idExists('agent_nope'))).toBe(false);
    });

    it('an id that exists (even deleted, even in another org) is agent_id_taken', async () => {
      await seedWorld(uow());
      await insertAgents(uow(), anAgent('my-agent', W.orgB, { handle: 'one', deletedAt: T0 }));
      const error = await rejectsWithCode(insertAgents(uow(), anAgent('my-agent', W.orgA, { handle: 'two' })), 'agent_id_taken');
      expect(error.message).toBe('Agent with ID my-agent already exists');
    });

    describe('R1: one active agent per phone number', () => {
      it('R1: the database itself rejects a second active agent on a number (phone_number_in_use)', async () => {
        await seedWorld(uow());
        await insertAgents(uow(), anAgent('agent_1', W.orgA, { phoneNumberId: W.pnA1 }));
        const error = await rejectsWithCode(
          insertAgents(uow(), anAgent('agent_2', W.orgA, { phoneNumberId: W.pnA1 })),
          'phone_number_in_use',
        );
        expect(error.message).toBe('Phone number already has an active agent');
        expect(await uow().read((repos) => repos.agents.idExists('agent_2'))).toBe(false);
      });

      it('R1: an inactive agent does not hold its number, and re-activating it while held is phone_number_in_use', async () => {
        await seedWorld(uow());
        const paused = anAgent('agent_paused', W.orgA, { phoneNumberId: W.pnA1, isActive: false });
        await insertAgents(uow(), paused, anAgent('agent_live', W.orgA, { phoneNumberId: W.pnA1 }));
        await rejectsWithCode(uow().write((repos) => repos.agents.update({ ...paused, isActive: true })), 'phone_number_in_use');
        expect((await get(paused.id))?.isActive).toBe(false);
      });

      it('R1/R3: a deleted agent frees its number', async () => {
        await seedWorld(uow());
        const old = anAgent('agent_old', W.orgA, { phoneNumberId: W.pnA1 });
        await insertAgents(uow(), old);
        await uow().write((repos) => repos.agents.update({ ...old, deletedAt: T0 + 1 }));
        await insertAgents(uow(), anAgent('agent_new', W.orgA, { phoneNumberId: W.pnA1 }));
        expect((await uow().read((repos) => repos.agents.activeOnPhoneNumber(W.pnA1)))?.id).toBe('agent_new');
      });

      it('R1: moving an active agent onto a held number is phone_number_in_use', async () => {
        await seedWorld(uow());
        const mover = anAgent('agent_mover', W.orgA, { phoneNumberId: W.pnA2 });
        await insertAgents(uow(), anAgent('agent_holder', W.orgA, { phoneNumberId: W.pnA1 }), mover);
        await rejectsWithCode(uow().write((repos) => repos.agents.update({ ...mover, phoneNumberId: W.pnA1 })), 'phone_number_in_use');
        expect((await get(mover.id))?.phoneNumberId).toBe(W.pnA2);
      });

      it('R1: agents without a number never conflict', async () => {
        await seedWorld(uow());
        await insertAgents(uow(), anAgent('agent_1', W.orgA), anAgent('agent_2', W.orgA));
        expect(await uow().read((repos) => repos.agents.countLive(W.orgA))).toBe(2);
      });

      it('R1: activeOnPhoneNumber is the active live agent, ignoring inactive and deleted ones', async () => {
        await seedWorld(uow());
        await insertAgents(
          uow(),
          anAgent('agent_paused', W.orgA, { phoneNumberId: W.pnA1, isActive: false }),
          anAgent('agent_gone', W.orgA, { phoneNumberId: W.pnA1, deletedAt: T0 }),
        );
        expect(await uow().read((repos) => repos.agents.activeOnPhoneNumber(W.pnA1))).toBeNull();
        await insertAgents(uow(), anAgent('agent_live', W.orgA, { phoneNumberId: W.pnA1 }));
        expect((await uow().read((repos) => repos.agents.activeOnPhoneNumber(W.pnA1)))?.id).toBe('agent_live');
        expect(await uow().read((repos) => repos.agents.activeOnPhoneNumber(W.pnA2))).toBeNull();
      });
    });

    describe('R4: handles', () => {
      it('R4: a handle is unique among live agents of an org, case-insensitively, and stored as given', async () => {
        await seedWorld(uow());
        await insertAgents(uow(), anAgent('agent_1', W.orgA, { handle: 'SalesBot' }));
        const error = await rejectsWithCode(insertAgents(uow(), anAgent('agent_2', W.orgA, { handle: 'salesBOT' })), 'agent_handle_taken');
        expect(error.message).toBe('Agent with handle @salesBOT already exists');
        expect((await get('agent_1'))?.handle).toBe('SalesBot');
      });

      it('R4: the same handle is free in another org', async () => {
        await seedWorld(uow());
        await insertAgents(uow(), anAgent('agent_a', W.orgA, { handle: 'Sales' }), anAgent('agent_b', W.orgB, { handle: 'Sales' }));
        expect((await get('agent_b', orgView(W.orgB)))?.handle).toBe('Sales');
      });

      it('R4/R3: a deleted agent frees its handle', async () => {
        await seedWorld(uow());
        const old = anAgent('agent_old', W.orgA, { handle: 'Sales' });
        await insertAgents(uow(), old);
        await uow().write((repos) => repos.agents.update({ ...old, deletedAt: T0 + 1 }));
        await insertAgents(uow(), anAgent('agent_new', W.orgA, { handle: 'SALES' }));
        expect((await get('agent_new'))?.handle).toBe('SALES');
      });

      it('R4: renaming to a taken handle is agent_handle_taken', async () => {
        await seedWorld(uow());
        const other = anAgent('agent_2', W.orgA, { handle: 'Other' });
        await insertAgents(uow(), anAgent('agent_1', W.orgA, { handle: 'Taken' }), other);
        await rejectsWithCode(uow().write((repos) => repos.agents.update({ ...other, handle: 'tAKEN' })), 'agent_handle_taken');
      });

      it('R4: handlesWithPrefix gives the lower-cased handles of live agents of the org with the prefix', async () => {
        await seedWorld(uow());
        await insertAgents(
          uow(),
          anAgent('agent_1', W.orgA, { handle: 'SalesBot' }),
          anAgent('agent_2', W.orgA, { handle: 'salesbot2' }),
          anAgent('agent_3', W.orgA, { handle: 'SalesBot3', deletedAt: T0 }),
          anAgent('agent_4', W.orgA, { handle: 'Support' }),
          anAgent('agent_5', W.orgB, { handle: 'SalesBot4' }),
        );
        const handles = await uow().read((repos) => repos.agents.handlesWithPrefix(W.orgA, 'salesBot'));
        expect([...handles].sort()).toEqual(['salesbot', 'salesbot2']);
        expect(await uow().read((repos) => repos.agents.handlesWithPrefix(W.orgA, 'nobody'))).toEqual([]);
      });
    });

    describe('lists', () => {
      /** Five live agents of org A (two created at the same time), one deleted, one of org B. */
      async function seedAgents() {
        await seedWorld(uow());
        await insertAgents(
          uow(),
          anAgent('agent_1', W.orgA, { createdAt: T0 + 1, phoneNumberId: W.pnA1 }),
          anAgent('agent_2', W.orgA, { createdAt: T0 + 2, phoneNumberId: W.pnA1, isActive: false }),
          anAgent('agent_3a', W.orgA, { createdAt: T0 + 3 }),
          anAgent('agent_3b', W.orgA, { createdAt: T0 + 3, phoneNumberId: W.pnA2 }),
          anAgent('agent_4', W.orgA, { createdAt: T0 + 4 }),
          anAgent('agent_gone', W.orgA, { createdAt: T0 + 5, deletedAt: T0 + 6 }),
          anAgent('agent_b', W.orgB, { createdAt: T0 + 6 }),
        );
      }
      const newestFirst = ['agent_4', 'agent_3b', 'agent_3a', 'agent_2', 'agent_1'];

      it('lists live agents of the org newest first, ties by id descending, with the total', async () => {
        await seedAgents();
        const page = await uow().read((repos) => repos.agents.list(orgView(), {}, { kind: 'offset', limit: 10, offset: 0 }));
        expect(ids(page.items)).toEqual(newestFirst);
        expect(page.total).toBe(5);
        expect(page.next).toBeNull();
      });

      it('filters by phone number, active or not', async () => {
        await seedAgents();
        const page = await uow().read((repos) => repos.agents.list(orgView(), { phoneNumberId: W.pnA1 }, { kind: 'offset', limit: 10, offset: 0 }));
        expect(ids(page.items)).toEqual(['agent_2', 'agent_1']);
        expect(page.total).toBe(2);
      });

      it('pages by offset: a slice and the full total; past the end is empty', async () => {
        await seedAgents();
        const page = await uow().read((repos) => repos.agents.list(orgView(), {}, { kind: 'offset', limit: 2, offset: 1 }));
        expect(ids(page.items)).toEqual(['agent_3b', 'agent_3a']);
        expect(page.total).toBe(5);
        const past = await uow().read((repos) => repos.agents.list(orgView(), {}, { kind: 'offset', limit: 2, offset: 10 }));
        expect(past.items).toEqual([]);
        expect(past.total).toBe(5);
      });

      it('pages by keyset: every agent once, in order, across ties, then next is null', async () => {
        await seedAgents();
        const after = (key: SortKey | null) =>
          uow().read((repos) => repos.agents.list(orgView(), {}, { kind: 'keyset', limit: 2, after: key }));
        const first = await after(null);
        expect(ids(first.items)).toEqual(['agent_4', 'agent_3b']);
        expect(first.next).toEqual({ at: T0 + 3, id: 'agent_3b' });
        const second = await after(first.next);
        expect(ids(second.items)).toEqual(['agent_3a', 'agent_2']);
        expect(second.next).toEqual({ at: T0 + 2, id: 'agent_2' });
        const last = await after(second.next);
        expect(ids(last.items)).toEqual(['agent_1']);
        expect(last.next).toBeNull();
      });

      it('a keyset page that ends exactly at the last row says there is no next page', async () => {
        await seedAgents();
        const page = await uow().read((repos) => repos.agents.list(orgView(), {}, { kind: 'keyset', limit: 5, after: null }));
        expect(ids(page.items)).toEqual(newestFirst);
        expect(page.next).toBeNull();
        const empty = await uow().read((repos) => repos.agents.list(orgView(W.orgB), { phoneNumberId: W.pnB1 }, { kind: 'keyset', limit: 5, after: null }));
        expect(empty).toEqual({ items: [], next: null });
      });
    });

    it('lists summaries: every listed field of the agent, the tool and sub-agent counts, no instruction texts', async () => {
      await seedWorld(uow());
      const full = anAgent('agent_full', W.orgA, {
        phoneNumberId: W.pnA1,
        instructions: 'x'.repeat(5000),
        instructionsHtml: '<p>long</p>',
        tools: [
          { name: 'shopify_get_order', connectorId: 'connector_a' },
          { name: 'knowledge_search', connectorId: null },
        ],
        connectors: ['connector_a'],
        subAgents: ['agent_x', 'agent_y', 'agent_z'],
        dataSources: [{ sourceId: 'source_a', scope: 'all', documents: [] }],
      });
      await insertAgents(uow(), full);
      const page = await uow().read((repos) => repos.agents.list(orgView(), {}, { kind: 'keyset', limit: 5, after: null }));
      const { instructions: _i, instructionsHtml: _h, tools: _t, connectors: _c, subAgents: _s, dataSources: _d, ...listed } = full;
      expect(page.items).toEqual([{ ...listed, toolsCount: 2, subAgentsCount: 3 }]);
    });

    it('countLive counts the live agents of one org', async () => {
      await seedWorld(uow());
      await insertAgents(
        uow(),
        anAgent('agent_1', W.orgA),
        anAgent('agent_2', W.orgA, { isActive: false }),
        anAgent('agent_3', W.orgA, { deletedAt: T0 }),
        anAgent('agent_4', W.orgB),
      );
      expect(await uow().read((repos) => repos.agents.countLive(W.orgA))).toBe(2);
      expect(await uow().read((repos) => repos.agents.countLive('org_empty'))).toBe(0);
    });

    it('R7: liveIds keeps the given ids that are live agents of the org, in the given order', async () => {
      await seedWorld(uow());
      await insertAgents(
        uow(),
        anAgent('agent_1', W.orgA),
        anAgent('agent_2', W.orgA),
        anAgent('agent_gone', W.orgA, { deletedAt: T0 }),
        anAgent('agent_b', W.orgB),
      );
      const live = await uow().read((repos) => repos.agents.liveIds(W.orgA, ['agent_2', 'agent_gone', 'agent_b', 'agent_nope', 'agent_1']));
      expect(live).toEqual(['agent_2', 'agent_1']);
      expect(await uow().read((repos) => repos.agents.liveIds(W.orgA, []))).toEqual([]);
    });

    it("R7: subAgentGraph maps each live agent of the org to its sub-agents", async () => {
      await seedWorld(uow());
      await insertAgents(
        uow(),
        anAgent('agent_1', W.orgA, { subAgents: ['agent_2', 'agent_3'] }),
        anAgent('agent_2', W.orgA, { subAgents: ['agent_3'] }),
        anAgent('agent_3', W.orgA),
        anAgent('agent_gone', W.orgA, { subAgents: ['agent_1'], deletedAt: T0 }),
        anAgent('agent_b', W.orgB, { subAgents: ['agent_x'] }),
      );
      const graph = await uow().read((repos) => repos.agents.subAgentGraph(W.orgA));
      expect(graph.get('agent_1')).toEqual(['agent_2', 'agent_3']);
      expect(graph.get('agent_2')).toEqual(['agent_3']);
      expect(graph.get('agent_3') ?? []).toEqual([]);
      expect(graph.has('agent_gone')).toBe(false);
      expect(graph.has('agent_b')).toBe(false);
    });
  });
}
