import type { Conversation, ConversationFilter, Message } from '@gateway/core';
import { describe, expect, it } from 'vitest';
import {
  aConversation,
  aMessage,
  anAgent,
  insertAgents,
  insertConversations,
  orgView,
  seedWorld,
  T0,
  userView,
  useStore,
  W,
  type OpenStore,
} from './fixtures';

const onA1 = (agentId: string) => ({ orgId: W.orgA, phoneNumberId: W.pnA1, agentId });
const onA2 = (agentId: string) => ({ orgId: W.orgA, phoneNumberId: W.pnA2, agentId });
const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

export function conversationsContract(open: OpenStore) {
  describe('conversations', () => {
    const uow = useStore(open);

    /** Org A: agent_x (paused) and agent_y (active) on pn_a1, agent_z on pn_a2; org B: agent_b on pn_b1. */
    async function seedAgents() {
      await seedWorld(uow());
      await insertAgents(
        uow(),
        anAgent('agent_x', W.orgA, { phoneNumberId: W.pnA1, isActive: false }),
        anAgent('agent_y', W.orgA, { phoneNumberId: W.pnA1 }),
        anAgent('agent_z', W.orgA, { phoneNumberId: W.pnA2 }),
        anAgent('agent_b', W.orgB, { phoneNumberId: W.pnB1 }),
      );
    }

    it('stores a conversation, reads it back and counts its messages with targeted updates', async () => {
      await seedAgents();
      const conversation = aConversation('conv_1', onA1('agent_y'), { customerId: '15551234567', createdAt: T0 + 1, messageCount: 2 });
      await insertConversations(uow(), conversation);
      expect(await uow().read((repos) => repos.conversations.get(orgView(), 'conv_1'))).toEqual(conversation);
      expect(await uow().write((repos) => repos.conversations.recordMessage('conv_1', T0 + 9))).toBe(3);
      const updated: Conversation = { ...conversation, messageCount: 3, lastMessageAt: T0 + 9, updatedAt: T0 + 9 };
      expect(await uow().read((repos) => repos.conversations.get(orgView(), 'conv_1'))).toEqual(updated);
      await expect(uow().write((repos) => repos.conversations.recordMessage('conv_nope', T0 + 9))).rejects.toThrow();
    });

    it('recording a message never undoes an archival that committed after the conversation was read', async () => {
      await seedAgents();
      await insertConversations(uow(), aConversation('conv_1', onA1('agent_x'), { customerId: 'cust' }));
      const stale = await uow().read((repos) => repos.conversations.findActive(W.pnA1, 'cust'));
      await uow().write((repos) => repos.conversations.archiveOthers(W.pnA1, 'agent_y', T0 + 5, 'agent_replaced'));
      await uow().write((repos) => repos.conversations.recordMessage(stale!.id, T0 + 6));
      expect(await uow().read((repos) => repos.conversations.get(orgView(), 'conv_1'))).toMatchObject({
        status: 'archived',
        archiveReason: 'agent_replaced',
        messageCount: 1,
      });
    });

    it('a conversation without an agent is stored, listed, and archived by the agent that takes the number', async () => {
      await seedAgents();
      await insertConversations(uow(), aConversation('conv_none', { orgId: W.orgA, phoneNumberId: W.pnA1, agentId: null }, { customerId: 'cust' }));
      expect((await uow().read((repos) => repos.conversations.get(orgView(), 'conv_none')))?.agentId).toBeNull();
      const listed = await uow().read((repos) => repos.conversations.list(orgView(), { phoneNumberId: W.pnA1 }, { kind: 'offset', limit: 10, offset: 0 }));
      expect(ids(listed.items)).toEqual(['conv_none']);
      const groups = await uow().write((repos) => repos.conversations.archiveOthers(W.pnA1, 'agent_y', T0 + 5, 'agent_replaced'));
      expect(groups).toEqual([{ agentId: null, count: 1 }]);
      expect((await uow().read((repos) => repos.conversations.get(orgView(), 'conv_none')))?.status).toBe('archived');
    });

    it("R11: another org's conversation is null; legacy users see only conversations on their numbers", async () => {
      await seedAgents();
      await insertConversations(
        uow(),
        aConversation('conv_a1', onA1('agent_y')),
        aConversation('conv_a2', onA2('agent_z')),
        aConversation('conv_b', { orgId: W.orgB, phoneNumberId: W.pnB1, agentId: 'agent_b' }),
      );
      expect(await uow().read((repos) => repos.conversations.get(orgView(W.orgA), 'conv_b'))).toBeNull();
      expect(await uow().read((repos) => repos.conversations.get(orgView(W.orgA), 'conv_nope'))).toBeNull();
      expect((await uow().read((repos) => repos.conversations.get(userView(W.a1), 'conv_a1')))?.id).toBe('conv_a1');
      expect(await uow().read((repos) => repos.conversations.get(userView(W.a1), 'conv_a2'))).toBeNull();
      const listed = await uow().read((repos) => repos.conversations.list(userView(W.a2), {}, { kind: 'offset', limit: 10, offset: 0 }));
      expect(ids(listed.items)).toEqual(['conv_a2']);
      expect(listed.total).toBe(1);
    });

    it('legacy visibility: conversations stay visible to the owner of their number after it is deleted', async () => {
      await seedAgents();
      await insertConversations(uow(), aConversation('conv_1', onA1('agent_y'), { status: 'archived', archivedAt: T0 }));
      const phone = await uow().read((repos) => repos.phoneNumbers.get(orgView(), W.pnA1));
      await uow().write((repos) => repos.phoneNumbers.update({ ...phone!, deletedAt: T0 + 1 }));
      expect((await uow().read((repos) => repos.conversations.get(userView(W.a1), 'conv_1')))?.id).toBe('conv_1');
      expect(await uow().read((repos) => repos.conversations.get(userView(W.a2), 'conv_1'))).toBeNull();
    });

    it("findActive returns the customer's active conversation on the number, and nothing once archived", async () => {
      await seedAgents();
      const conversation = aConversation('conv_1', onA1('agent_y'), { customerId: 'cust' });
      await insertConversations(uow(), conversation);
      expect((await uow().read((repos) => repos.conversations.findActive(W.pnA1, 'cust')))?.id).toBe('conv_1');
      expect(await uow().read((repos) => repos.conversations.findActive(W.pnA2, 'cust'))).toBeNull();
      expect(await uow().read((repos) => repos.conversations.findActive(W.pnA1, 'someone-else'))).toBeNull();
      await uow().write((repos) => repos.conversations.archiveOthers(W.pnA1, 'agent_other', T0 + 1, 'agent_replaced'));
      expect(await uow().read((repos) => repos.conversations.findActive(W.pnA1, 'cust'))).toBeNull();
    });

    it('a customer never has two active conversations on one number; an archived one does not count', async () => {
      await seedAgents();
      await insertConversations(
        uow(),
        aConversation('conv_old', onA1('agent_x'), { customerId: 'cust', status: 'archived', archivedAt: T0 }),
        aConversation('conv_1', onA1('agent_y'), { customerId: 'cust' }),
        aConversation('conv_other_number', onA2('agent_z'), { customerId: 'cust' }),
      );
      await expect(insertConversations(uow(), aConversation('conv_2', onA1('agent_y'), { customerId: 'cust' }))).rejects.toThrow();
      expect(await uow().read((repos) => repos.conversations.get(orgView(), 'conv_2'))).toBeNull();
    });

    describe('lists', () => {
      /** Activity: conv_1 at +10 (its last message), conv_2 at +5 (created, no message), conv_3 at +3, conv_4 at +5. */
      async function seedConversations() {
        await seedAgents();
        await insertConversations(
          uow(),
          aConversation('conv_1', onA1('agent_y'), { createdAt: T0 + 1, lastMessageAt: T0 + 10, messageCount: 2 }),
          aConversation('conv_2', onA1('agent_x'), { createdAt: T0 + 5, status: 'archived', archivedAt: T0 + 6 }),
          aConversation('conv_3', onA2('agent_z'), { createdAt: T0 + 2, lastMessageAt: T0 + 3, messageCount: 1 }),
          aConversation('conv_4', onA1('agent_y'), { createdAt: T0 + 5 }),
          aConversation('conv_b', { orgId: W.orgB, phoneNumberId: W.pnB1, agentId: 'agent_b' }, { createdAt: T0 + 50 }),
        );
      }

      it('lists latest activity first (last message, else creation), ties by id descending', async () => {
        await seedConversations();
        const page = await uow().read((repos) => repos.conversations.list(orgView(), {}, { kind: 'offset', limit: 10, offset: 0 }));
        expect(ids(page.items)).toEqual(['conv_1', 'conv_4', 'conv_2', 'conv_3']);
        expect(page.total).toBe(4);
      });

      it('filters by agent, by phone number and by status, together or alone', async () => {
        await seedConversations();
        const list = (filter: ConversationFilter) =>
          uow().read((repos) => repos.conversations.list(orgView(), filter, { kind: 'offset', limit: 10, offset: 0 }));
        expect(ids((await list({ agentId: 'agent_y' })).items)).toEqual(['conv_1', 'conv_4']);
        expect(ids((await list({ phoneNumberId: W.pnA1 })).items)).toEqual(['conv_1', 'conv_4', 'conv_2']);
        expect(ids((await list({ status: 'archived' })).items)).toEqual(['conv_2']);
        expect(ids((await list({ phoneNumberId: W.pnA1, status: 'active', agentId: 'agent_y' })).items)).toEqual(['conv_1', 'conv_4']);
        expect((await list({ phoneNumberId: W.pnA1, status: 'active' })).total).toBe(2);
      });

      it('pages by keyset on latest activity', async () => {
        await seedConversations();
        const first = await uow().read((repos) => repos.conversations.list(orgView(), {}, { kind: 'keyset', limit: 2, after: null }));
        expect(ids(first.items)).toEqual(['conv_1', 'conv_4']);
        expect(first.next).toEqual({ at: T0 + 5, id: 'conv_4' });
        const rest = await uow().read((repos) => repos.conversations.list(orgView(), {}, { kind: 'keyset', limit: 2, after: first.next }));
        expect(ids(rest.items)).toEqual(['conv_2', 'conv_3']);
        expect(rest.next).toBeNull();
      });

      it('pages by offset', async () => {
        await seedConversations();
        const page = await uow().read((repos) => repos.conversations.list(orgView(), {}, { kind: 'offset', limit: 2, offset: 2 }));
        expect(ids(page.items)).toEqual(['conv_2', 'conv_3']);
        expect(page.total).toBe(4);
      });
    });

    it("R2: archiveOthers archives the number's active conversations of other agents and counts them per agent", async () => {
      await seedAgents();
      await insertAgents(uow(), anAgent('agent_w', W.orgA, { phoneNumberId: W.pnA1, isActive: false }));
      await insertConversations(
        uow(),
        aConversation('conv_x1', onA1('agent_x')),
        aConversation('conv_x2', onA1('agent_x')),
        aConversation('conv_w1', onA1('agent_w')),
        aConversation('conv_y1', onA1('agent_y')),
        aConversation('conv_x_done', onA1('agent_x'), { status: 'archived', archivedAt: T0, archiveReason: 'earlier', updatedAt: T0 }),
        aConversation('conv_z1', onA2('agent_z')),
      );
      const at = T0 + 100;
      const groups = await uow().write((repos) => repos.conversations.archiveOthers(W.pnA1, 'agent_y', at, 'agent_replaced'));
      expect(groups).toEqual([
        { agentId: 'agent_w', count: 1 },
        { agentId: 'agent_x', count: 2 },
      ]);

      const get = (id: string) => uow().read((repos) => repos.conversations.get(orgView(), id));
      for (const id of ['conv_x1', 'conv_x2', 'conv_w1']) {
        expect(await get(id)).toMatchObject({ status: 'archived', archivedAt: at, archiveReason: 'agent_replaced', updatedAt: at });
      }
      expect(await get('conv_y1')).toMatchObject({ status: 'active', archivedAt: null });
      expect(await get('conv_z1')).toMatchObject({ status: 'active', archivedAt: null });
      expect(await get('conv_x_done')).toMatchObject({ status: 'archived', archivedAt: T0, archiveReason: 'earlier', updatedAt: T0 });
      expect(await uow().write((repos) => repos.conversations.archiveOthers(W.pnA1, 'agent_y', at + 1, 'agent_replaced'))).toEqual([]);
    });
  });

  describe('messages', () => {
    const uow = useStore(open);
    const conv1 = aConversation('conv_1', onA1('agent_y'));
    const conv2 = aConversation('conv_2', onA2('agent_z'));

    async function seedConversations() {
      await seedWorld(uow());
      await insertAgents(uow(), anAgent('agent_y', W.orgA, { phoneNumberId: W.pnA1 }), anAgent('agent_z', W.orgA, { phoneNumberId: W.pnA2 }));
      await insertConversations(uow(), conv1, conv2);
    }
    const insert = (message: Message) => uow().write((repos) => repos.messages.insert(message));
    const listAll = (conversationId: string) =>
      uow().read((repos) => repos.messages.list(conversationId, { kind: 'offset', limit: 100, offset: 0 }));

    it('stores messages and lists a conversation oldest first by sequence', async () => {
      await seedConversations();
      const second = aMessage('msg_2', conv1, 2, { role: 'assistant', text: 'Hello!', platformMessageId: null, createdAt: T0 });
      const first = aMessage('msg_1', conv1, 1, { type: 'image', text: '' });
      expect(await insert(second)).toBe(true);
      expect(await insert(first)).toBe(true);
      expect(await insert(aMessage('msg_other', conv2, 1))).toBe(true);
      const page = await listAll(conv1.id);
      expect(page.items).toEqual([first, second]);
      expect(page.total).toBe(2);
    });

    it('a platform message id is stored once per number: a repeat returns false and writes nothing', async () => {
      await seedConversations();
      expect(await insert(aMessage('msg_1', conv1, 1, { platformMessageId: 'wamid.A' }))).toBe(true);
      expect(await insert(aMessage('msg_again', conv1, 2, { platformMessageId: 'wamid.A' }))).toBe(false);
      expect(ids((await listAll(conv1.id)).items)).toEqual(['msg_1']);
      expect(await insert(aMessage('msg_elsewhere', conv2, 1, { platformMessageId: 'wamid.A' }))).toBe(true);
    });

    it('messages without a platform id never collide', async () => {
      await seedConversations();
      expect(await insert(aMessage('msg_1', conv1, 1, { platformMessageId: null }))).toBe(true);
      expect(await insert(aMessage('msg_2', conv1, 2, { platformMessageId: null }))).toBe(true);
      expect((await listAll(conv1.id)).total).toBe(2);
    });

    it('seen says whether the number already stored a platform message id', async () => {
      await seedConversations();
      await insert(aMessage('msg_1', conv1, 1, { platformMessageId: 'wamid.A' }));
      expect(await uow().read((repos) => repos.messages.seen(W.pnA1, 'wamid.A'))).toBe(true);
      expect(await uow().read((repos) => repos.messages.seen(W.pnA2, 'wamid.A'))).toBe(false);
      expect(await uow().read((repos) => repos.messages.seen(W.pnA1, 'wamid.B'))).toBe(false);
    });

    it('pages messages by offset and by keyset on the sequence number', async () => {
      await seedConversations();
      await uow().write(async (repos) => {
        for (let seq = 1; seq <= 5; seq++) await repos.messages.insert(aMessage(`msg_${seq}`, conv1, seq));
      });
      const middle = await uow().read((repos) => repos.messages.list(conv1.id, { kind: 'offset', limit: 2, offset: 2 }));
      expect(ids(middle.items)).toEqual(['msg_3', 'msg_4']);
      expect(middle.total).toBe(5);

      const first = await uow().read((repos) => repos.messages.list(conv1.id, { kind: 'keyset', limit: 3, after: null }));
      expect(ids(first.items)).toEqual(['msg_1', 'msg_2', 'msg_3']);
      expect(first.next).toEqual({ at: 3, id: 'msg_3' });
      const rest = await uow().read((repos) => repos.messages.list(conv1.id, { kind: 'keyset', limit: 3, after: first.next }));
      expect(ids(rest.items)).toEqual(['msg_4', 'msg_5']);
      expect(rest.next).toBeNull();
      expect(await uow().read((repos) => repos.messages.list('conv_nope', { kind: 'keyset', limit: 3, after: null }))).toEqual({
        items: [],
        next: null,
      });
    });
  });

  describe('archival records', () => {
    const uow = useStore(open);

    it('R2: stores archival records and lists those of one number, oldest first', async () => {
      await seedWorld(uow());
      await insertAgents(
        uow(),
        anAgent('agent_1', W.orgA, { phoneNumberId: W.pnA1, isActive: false }),
        anAgent('agent_2', W.orgA, { phoneNumberId: W.pnA1 }),
        anAgent('agent_3', W.orgA, { phoneNumberId: W.pnA2 }),
      );
      const record = (id: string, phoneNumberId: string, createdAt: number) => ({
        id,
        orgId: W.orgA,
        phoneNumberId,
        previousAgentId: 'agent_1',
        newAgentId: 'agent_2',
        conversationsArchived: 3,
        createdAt,
      });
      const later = record('arc_2', W.pnA1, T0 + 20);
      const earlier = record('arc_1', W.pnA1, T0 + 10);
      await uow().write(async (repos) => {
        await repos.archivals.insert(later);
        await repos.archivals.insert(earlier);
        await repos.archivals.insert(record('arc_3', W.pnA2, T0 + 5));
      });
      expect(await uow().read((repos) => repos.archivals.listByPhoneNumber(W.pnA1))).toEqual([earlier, later]);
      expect(await uow().read((repos) => repos.archivals.listByPhoneNumber(W.pnB1))).toEqual([]);
    });
  });
}
