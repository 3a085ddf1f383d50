import { DomainError, type Repositories } from '@gateway/core';
import { describe, expect, it } from 'vitest';
import type { DriverCapabilities } from './index';
import {
  aConversation,
  aMessage,
  anAgent,
  gate,
  insertAgents,
  insertConversations,
  MINUTE,
  orgView,
  rejectsWithCode,
  seedWorld,
  T0,
  tally,
  useStore,
  W,
  type OpenStore,
} from './fixtures';

const RACERS = 30;

export function unitOfWorkContract(open: OpenStore, capabilities: DriverCapabilities) {
  describe('unit of work', () => {
    const uow = useStore(open);

    it('read and write return what their callback returns', async () => {
      await seedWorld(uow());
      expect(await uow().write(async (repos) => (await repos.orgs.get(W.orgA))?.name)).toBe('Org org_a');
      expect(await uow().read(async (repos) => (await repos.orgs.get(W.orgB))?.id)).toBe(W.orgB);
    });

    it('R1/R2: a write whose callback throws leaves no trace: no agent, conversations still active, no archival record', async () => {
      await seedWorld(uow());
      await insertAgents(uow(), anAgent('agent_old', W.orgA, { phoneNumberId: W.pnA1, isActive: false }));
      await insertConversations(
        uow(),
        aConversation('conv_1', { orgId: W.orgA, phoneNumberId: W.pnA1, agentId: 'agent_old' }),
        aConversation('conv_2', { orgId: W.orgA, phoneNumberId: W.pnA1, agentId: 'agent_old' }),
      );
      const failure = new Error('boom after the takeover');
      const takeover = uow().write(async (repos) => {
        const agent = anAgent('agent_new', W.orgA, { phoneNumberId: W.pnA1, createdAt: T0 + 1 });
        await repos.agents.insert(agent);
        const groups = await repos.conversations.archiveOthers(W.pnA1, agent.id, T0 + 1, 'agent_replaced');
        for (const group of groups) {
          await repos.archivals.insert({
            id: `arc_${group.agentId}`,
            orgId: W.orgA,
            phoneNumberId: W.pnA1,
            previousAgentId: group.agentId,
            newAgentId: agent.id,
            conversationsArchived: group.count,
            createdAt: T0 + 1,
          });
        }
        expect(groups).toEqual([{ agentId: 'agent_old', count: 2 }]);
        throw failure;
      });
      await expect(takeover).rejects.toBe(failure);

      expect(await uow().read((repos) => repos.agents.idExists('agent_new'))).toBe(false);
      expect(await uow().read((repos) => repos.agents.activeOnPhoneNumber(W.pnA1))).toBeNull();
      const conversations = await uow().read((repos) =>
        repos.conversations.list(orgView(), { phoneNumberId: W.pnA1 }, { kind: 'offset', limit: 10, offset: 0 }),
      );
      expect(conversations.items.map((c) => c.status)).toEqual(['active', 'active']);
      expect(await uow().read((repos) => repos.archivals.listByPhoneNumber(W.pnA1))).toEqual([]);
    });

    it('a constraint error rolls back the whole write, including the statements before it', async () => {
      await seedWorld(uow());
      await insertAgents(uow(), anAgent('agent_1', W.orgA, { handle: 'Taken' }));
      await rejectsWithCode(
        insertAgents(uow(), anAgent('agent_2', W.orgA, { handle: 'Fine' }), anAgent('agent_3', W.orgA, { handle: 'TAKEN' })),
        'agent_handle_taken',
      );
      expect(await uow().read((repos) => repos.agents.idExists('agent_2'))).toBe(false);
      expect(await uow().read((repos) => repos.agents.countLive(W.orgA))).toBe(1);
    });

    it('read sees committed data only', async () => {
      await seedWorld(uow());
      const hold = gate();
      const inserted = gate();
      const writing = uow().write(async (repos) => {
        await repos.agents.insert(anAgent('agent_1', W.orgA));
        inserted.open();
        await hold.opened;
      });
      await inserted.opened;
      expect(await uow().read((repos) => repos.agents.idExists('agent_1'))).toBe(false);
      hold.open();
      await writing;
      expect(await uow().read((repos) => repos.agents.idExists('agent_1'))).toBe(true);
    });

    it('a failed write does not block the rest; a single-writer driver also runs them one at a time, in the order they were asked for', async () => {
      await seedWorld(uow());
      const log: string[] = [];
      const step = async (repos: Repositories, name: string, fail = false) => {
        log.push(`${name} begins`);
        await repos.orgs.get(W.orgA);
        await new Promise((resolve) => setTimeout(resolve, 1));
        await repos.agents.countLive(W.orgA);
        if (fail) throw new Error(`${name} failed`);
        log.push(`${name} ends`);
        return name;
      };
      const results = await Promise.allSettled([
        uow().write((repos) => step(repos, 'w1')),
        uow().write((repos) => step(repos, 'w2', true)),
        uow().write((repos) => step(repos, 'w3')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['w1', 'w2 failed', 'w3']);
      if (capabilities.serialWrites) expect(log).toEqual(['w1 begins', 'w1 ends', 'w2 begins', 'w3 begins', 'w3 ends']);
      else expect([...log].sort()).toEqual(['w1 begins', 'w1 ends', 'w2 begins', 'w3 begins', 'w3 ends']);
    });

    describe('races', () => {
      it(`R1: ${RACERS} concurrent check-then-insert writes on one number: exactly one wins, the rest are phone_number_in_use`, async () => {
        await seedWorld(uow());
        const attempt = (i: number) =>
          uow().write(async (repos) => {
            if (await repos.agents.activeOnPhoneNumber(W.pnA1)) {
              throw new DomainError('phone_number_in_use', 'Phone number already has an active agent');
            }
            await repos.agents.insert(anAgent(`agent_${i}`, W.orgA, { phoneNumberId: W.pnA1, createdAt: T0 + i }));
          });
        const { won, codes } = await tally(Array.from({ length: RACERS }, (_, i) => attempt(i)));
        expect(won).toBe(1);
        expect(codes).toEqual(Array(RACERS - 1).fill('phone_number_in_use'));
        const listed = await uow().read((repos) => repos.agents.list(orgView(), { phoneNumberId: W.pnA1 }, { kind: 'offset', limit: 100, offset: 0 }));
        expect(listed.total).toBe(1);
      });

      it(`R1: ${RACERS} concurrent inserts on one number with no check at all: the database lets exactly one win`, async () => {
        await seedWorld(uow());
        const { won, codes } = await tally(
          Array.from({ length: RACERS }, (_, i) => insertAgents(uow(), anAgent(`agent_${i}`, W.orgA, { phoneNumberId: W.pnA1 }))),
        );
        expect(won).toBe(1);
        expect(codes).toEqual(Array(RACERS - 1).fill('phone_number_in_use'));
      });

      it(`R4: ${RACERS} concurrent inserts with case variants of one handle: exactly one wins, the rest are agent_handle_taken`, async () => {
        await seedWorld(uow());
        const variant = (i: number) =>
          [...'salesbot'].map((c, j) => ((i >> j) & 1 ? c.toUpperCase() : c)).join('');
        const handles = Array.from({ length: RACERS }, (_, i) => variant(i));
        expect(new Set(handles).size).toBe(RACERS);
        const { won, codes } = await tally(handles.map((handle, i) => insertAgents(uow(), anAgent(`agent_${i}`, W.orgA, { handle }))));
        expect(won).toBe(1);
        expect(codes).toEqual(Array(RACERS - 1).fill('agent_handle_taken'));
        expect(await uow().read((repos) => repos.agents.handlesWithPrefix(W.orgA, 'SALESBOT'))).toEqual(['salesbot']);
      });

      it(`${RACERS} concurrent claims of one idempotency key: exactly one is claimed, the rest are in_flight`, async () => {
        const results = await Promise.all(
          Array.from({ length: RACERS }, () =>
            uow().write((repos) =>
              repos.idempotency.claim(
                {
                  keyId: 'key_1',
                  idempotencyKey: 'same',
                  fingerprint: 'POST /agents {}',
                  status: null,
                  body: null,
                  lockedAt: T0,
                  createdAt: T0,
                  expiresAt: T0 + 1440 * MINUTE,
                },
                T0 - MINUTE,
              ),
            ),
          ),
        );
        expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(1);
        expect(results.filter((r) => r.outcome === 'in_flight')).toHaveLength(RACERS - 1);
      });

      it('concurrent deliveries of one platform message store it once', async () => {
        await seedWorld(uow());
        await insertAgents(uow(), anAgent('agent_1', W.orgA, { phoneNumberId: W.pnA1 }));
        const conversation = aConversation('conv_1', { orgId: W.orgA, phoneNumberId: W.pnA1, agentId: 'agent_1' });
        await insertConversations(uow(), conversation);
        const stored = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            uow().write((repos) => repos.messages.insert(aMessage(`msg_${i}`, conversation, i + 1, { platformMessageId: 'wamid.ONCE' }))),
          ),
        );
        expect(stored.filter(Boolean)).toHaveLength(1);
        expect((await uow().read((repos) => repos.messages.list(conversation.id, { kind: 'offset', limit: 20, offset: 0 }))).total).toBe(1);
      });
    });
  });
}
