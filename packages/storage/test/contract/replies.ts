import type { ReplyEnqueue, UnitOfWork } from '@gateway/core';
import { describe, expect, it } from 'vitest';
import { aConversation, aMessage, anAgent, insertAgents, insertConversations, seedWorld, T0, useStore, W, type OpenStore } from './fixtures';

/**
 * §8 storage: the reply queue (`replyJobs`) and the message-status half of `messages`, on every
 * driver. The races at the end hold on PostgreSQL's concurrent writers as on the single writers.
 */

const DEBOUNCE = 1_500;
const MAX_WAIT = 10_000;
const LEASE = 30_000;

async function seedConversations(uow: UnitOfWork, count: number) {
  await seedWorld(uow);
  await insertAgents(uow, anAgent('agent_a', W.orgA, { phoneNumberId: W.pnA1 }), anAgent('agent_b', W.orgB, { phoneNumberId: W.pnB1 }));
  const conversations = Array.from({ length: count }, (_, i) =>
    i % 2 === 0
      ? aConversation(`conv_${i}`, { orgId: W.orgA, phoneNumberId: W.pnA1, agentId: 'agent_a' }, { customerId: `cust-${i}` })
      : aConversation(`conv_${i}`, { orgId: W.orgB, phoneNumberId: W.pnB1, agentId: 'agent_b' }, { customerId: `cust-${i}` }),
  );
  await insertConversations(uow, ...conversations);
  return conversations;
}

const message = (conversationId: string, seq: number, at: number, orgId: string = W.orgA): ReplyEnqueue => ({
  conversationId,
  orgId,
  phoneNumberId: orgId === W.orgA ? W.pnA1 : W.pnB1,
  seq,
  at,
  debounceMs: DEBOUNCE,
  maxWaitMs: MAX_WAIT,
});

export function repliesContract(open: OpenStore) {
  describe('reply queue', () => {
    const uow = useStore(open);
    const enqueue = (input: ReplyEnqueue) => uow().write((repos) => repos.replyJobs.enqueue(input));
    const claim = (at: number, limit = 10, skip: string[] = []) => uow().write((repos) => repos.replyJobs.claim(at, at + LEASE, limit, skip));
    const job = (id: string) => uow().read((repos) => repos.replyJobs.get(id));

    it('a first message creates the job, due after the debounce, with its deadline REPLY_MAX_WAIT_MS away', async () => {
      await seedConversations(uow(), 1);
      await enqueue(message('conv_0', 1, T0));
      expect(await job('conv_0')).toEqual({
        conversationId: 'conv_0',
        orgId: W.orgA,
        phoneNumberId: W.pnA1,
        uptoSeq: 1,
        answeredSeq: 0,
        claimedSeq: 0,
        dueAt: T0 + DEBOUNCE,
        deadlineAt: T0 + MAX_WAIT,
        epoch: 0,
        leasedUntil: null,
        attempts: 0,
        createdAt: T0,
        updatedAt: T0,
      });
      expect(await claim(T0 + DEBOUNCE - 1)).toEqual([]);
      expect(await uow().read((repos) => repos.replyJobs.depth(T0))).toEqual({ due: 0, waiting: 1, held: 0 });
    });

    it('more messages move the due time, never past the deadline', async () => {
      await seedConversations(uow(), 1);
      await enqueue(message('conv_0', 1, T0));
      await enqueue(message('conv_0', 2, T0 + 5_000));
      expect(await job('conv_0')).toMatchObject({ uptoSeq: 2, dueAt: T0 + 5_000 + DEBOUNCE, deadlineAt: T0 + MAX_WAIT });
      await enqueue(message('conv_0', 3, T0 + 9_000));
      expect(await job('conv_0')).toMatchObject({ uptoSeq: 3, dueAt: T0 + MAX_WAIT, deadlineAt: T0 + MAX_WAIT });
      // A debounce of 0 is due at once.
      await enqueue({ ...message('conv_0', 4, T0 + 9_100), debounceMs: 0 });
      expect(await job('conv_0')).toMatchObject({ uptoSeq: 4, dueAt: T0 + 9_100 });
    });

    it('a claim takes due jobs earliest first, up to the limit, skipping orgs, raising epoch and attempts and leasing them', async () => {
      await seedConversations(uow(), 4);
      for (let i = 0; i < 4; i++) await enqueue(message(`conv_${i}`, 1, T0 + i * 10, i % 2 === 0 ? W.orgA : W.orgB));
      const at = T0 + DEBOUNCE + 100;
      expect((await claim(at, 10, [W.orgB])).map((j) => j.conversationId)).toEqual(['conv_0', 'conv_2']);
      const [next] = await claim(at, 1);
      expect(next).toMatchObject({ conversationId: 'conv_1', epoch: 1, attempts: 1, claimedSeq: 1, leasedUntil: at + LEASE });
      expect(await uow().read((repos) => repos.replyJobs.depth(at))).toEqual({ due: 1, waiting: 0, held: 3 });
      // Held jobs are not claimed again until their lease runs out; then the next claim fences the first.
      expect((await claim(at + 1)).map((j) => j.conversationId)).toEqual(['conv_3']);
      expect(await claim(at + LEASE - 1)).toEqual([]);
      const again = await claim(at + LEASE);
      expect(again.map((j) => [j.conversationId, j.epoch, j.attempts])).toEqual([
        ['conv_0', 2, 2],
        ['conv_1', 2, 2],
        ['conv_2', 2, 2],
      ]);
    });

    it('every write of a claim is fenced by its epoch', async () => {
      await seedConversations(uow(), 1);
      await enqueue(message('conv_0', 1, T0));
      const [first] = await claim(T0 + DEBOUNCE);
      const [second] = await claim(T0 + DEBOUNCE + LEASE);
      expect(second!.epoch).toBe(first!.epoch + 1);
      const stale = first!.epoch;
      await uow().write(async (repos) => {
        expect(await repos.replyJobs.held('conv_0', stale)).toBeNull();
        expect(await repos.replyJobs.renew('conv_0', stale, T0 * 2)).toBe(false);
        expect(await repos.replyJobs.markAnswered('conv_0', stale, T0)).toBe(false);
        expect(await repos.replyJobs.release('conv_0', stale, T0)).toBe(false);
        expect(await repos.replyJobs.drop('conv_0', stale)).toBe(false);
        expect(await repos.replyJobs.finish('conv_0', stale, T0)).toBe('lost');
      });
      expect(await job('conv_0')).toEqual(second);
      expect(await uow().read((repos) => repos.replyJobs.held('conv_0', second!.epoch))).toEqual(second);
    });

    it('finish: done deletes an answered job; a message during the turn makes it again, due for the next turn with its own deadline', async () => {
      await seedConversations(uow(), 2);
      await enqueue(message('conv_0', 1, T0));
      await enqueue(message('conv_1', 1, T0, W.orgB));
      const claimed = await claim(T0 + DEBOUNCE, 2, [W.orgB]);
      expect(claimed).toHaveLength(1);
      const epoch = claimed[0]!.epoch;
      // conv_0: answered, nothing new → done.
      await uow().write((repos) => repos.replyJobs.markAnswered('conv_0', epoch, T0 + 2_000));
      expect(await uow().write((repos) => repos.replyJobs.finish('conv_0', epoch, T0 + 2_100))).toBe('done');
      expect(await job('conv_0')).toBeNull();

      // conv_1 (claimed now): two messages arrive while it is answered.
      const [turn] = await claim(T0 + DEBOUNCE);
      const during = T0 + DEBOUNCE + 1_000;
      await enqueue(message('conv_1', 2, during, W.orgB));
      expect(await job('conv_1')).toMatchObject({ uptoSeq: 2, deadlineAt: during + MAX_WAIT, dueAt: during + DEBOUNCE });
      await enqueue(message('conv_1', 3, during + 500, W.orgB));
      expect(await job('conv_1')).toMatchObject({ uptoSeq: 3, deadlineAt: during + MAX_WAIT, dueAt: during + 500 + DEBOUNCE });
      await uow().write((repos) => repos.replyJobs.markAnswered('conv_1', turn!.epoch, during + 600));
      expect(await uow().write((repos) => repos.replyJobs.finish('conv_1', turn!.epoch, during + 700))).toBe('again');
      expect(await job('conv_1')).toMatchObject({ answeredSeq: 1, uptoSeq: 3, leasedUntil: null });
      expect(await claim(during + 500 + DEBOUNCE - 1)).toEqual([]);
      expect(await claim(during + 500 + DEBOUNCE)).toMatchObject([{ conversationId: 'conv_1', claimedSeq: 3 }]);
    });

    it('release hands a turn back due at once; drop deletes it whatever waits', async () => {
      await seedConversations(uow(), 2);
      await enqueue(message('conv_0', 1, T0));
      await enqueue(message('conv_1', 1, T0, W.orgB));
      const [a, b] = await claim(T0 + DEBOUNCE);
      expect(await uow().write((repos) => repos.replyJobs.release(a!.conversationId, a!.epoch, T0 + 2_000))).toBe(true);
      expect(await job(a!.conversationId)).toMatchObject({ leasedUntil: null, dueAt: T0 + 2_000 });
      expect(await claim(T0 + 2_000)).toMatchObject([{ conversationId: a!.conversationId, epoch: a!.epoch + 1 }]);
      expect(await uow().write((repos) => repos.replyJobs.drop(b!.conversationId, b!.epoch))).toBe(true);
      expect(await job(b!.conversationId)).toBeNull();
    });

    it('races: two claimers over 20 due jobs, five at a time, take each job exactly once', async () => {
      await seedConversations(uow(), 20);
      for (let i = 0; i < 20; i++) await enqueue(message(`conv_${i}`, 1, T0, i % 2 === 0 ? W.orgA : W.orgB));
      const at = T0 + DEBOUNCE;
      const taken: string[][] = [[], []];
      for (let round = 0; round < 6; round++) {
        const [x, y] = await Promise.all([claim(at, 5), claim(at, 5)]);
        taken[0]!.push(...x.map((j) => j.conversationId));
        taken[1]!.push(...y.map((j) => j.conversationId));
      }
      const all = [...taken[0]!, ...taken[1]!];
      expect(all).toHaveLength(20);
      expect(new Set(all).size).toBe(20);
    });

    it('races: messages enqueued while a turn finishes are never lost', async () => {
      await seedConversations(uow(), 1);
      await enqueue(message('conv_0', 1, T0));
      let seq = 1;
      for (let turn = 0; turn < 10; turn++) {
        const now = T0 + (turn + 1) * MAX_WAIT * 2;
        const [job0] = await claim(now);
        expect(job0).toBeDefined();
        await uow().write((repos) => repos.replyJobs.markAnswered('conv_0', job0!.epoch, now));
        const next = ++seq;
        const [ended] = await Promise.all([
          uow().write((repos) => repos.replyJobs.finish('conv_0', job0!.epoch, now + 1)),
          uow().write((repos) => repos.replyJobs.enqueue(message('conv_0', next, now + 1))),
        ]);
        const after = await job('conv_0');
        // Either the finish saw the message (again) or deleted the job first and the message made a new one.
        expect(after).toMatchObject({ uptoSeq: next });
        expect(['again', 'done']).toContain(ended);
        expect(after!.answeredSeq).toBeLessThan(next);
      }
    });
  });

  describe('message statuses', () => {
    const uow = useStore(open);

    async function seedMessages() {
      const [conversation] = await seedConversations(uow(), 1);
      const rows = [
        aMessage('msg_1', conversation!, 1),
        aMessage('msg_2', conversation!, 2, { role: 'assistant', platformMessageId: null, status: 'pending', text: 'reply one' }),
        aMessage('msg_3', conversation!, 3, { role: 'assistant', platformMessageId: null, status: 'pending', text: 'reply two' }),
        aMessage('msg_4', conversation!, 4, { role: 'assistant', platformMessageId: 'wamid.sent', status: 'sent' }),
      ];
      await uow().write(async (repos) => {
        for (const m of rows) await repos.messages.insert(m);
      });
      return rows;
    }

    it('reads a message, the latest N oldest first, the pending replies, and by Meta id', async () => {
      const rows = await seedMessages();
      await uow().read(async (repos) => {
        expect(await repos.messages.get('msg_2')).toEqual(rows[1]);
        expect(await repos.messages.get('msg_missing')).toBeNull();
        expect((await repos.messages.latest('conv_0', 3)).map((m) => m.id)).toEqual(['msg_2', 'msg_3', 'msg_4']);
        expect((await repos.messages.latest('conv_0', 50)).map((m) => m.id)).toEqual(['msg_1', 'msg_2', 'msg_3', 'msg_4']);
        expect((await repos.messages.pending('conv_0')).map((m) => m.id)).toEqual(['msg_2', 'msg_3']);
        expect(await repos.messages.findByPlatformId(W.pnA1, 'wamid.sent')).toEqual(rows[3]);
        expect(await repos.messages.findByPlatformId(W.pnB1, 'wamid.sent')).toBeNull();
      });
    });

    it('setStatus is a compare-and-set: a stale "from" writes nothing; a Meta id is filled only when none is stored and no other message of the number has it', async () => {
      await seedMessages();
      await uow().write(async (repos) => {
        const pending = { status: 'pending' as const, failureReason: null };
        expect(await repos.messages.setStatus('msg_2', pending, { status: 'sent', failureReason: null, platformMessageId: 'wamid.two' })).toBe(true);
        expect(await repos.messages.setStatus('msg_2', pending, { status: 'failed', failureReason: 'late' })).toBe(false);
        expect(await repos.messages.setStatus('msg_2', { status: 'sent', failureReason: null }, { status: 'read', failureReason: null, platformMessageId: 'wamid.other' })).toBe(true);
        expect(await repos.messages.get('msg_2')).toMatchObject({ status: 'read', failureReason: null, platformMessageId: 'wamid.two' });
        // msg_3 may not take the id msg_4 holds: refused without an error, nothing written.
        expect(await repos.messages.setStatus('msg_3', pending, { status: 'sent', failureReason: null, platformMessageId: 'wamid.sent' })).toBe(false);
        expect(await repos.messages.setStatus('msg_3', pending, { status: 'failed', failureReason: 'interrupted' })).toBe(true);
        expect(await repos.messages.setStatus('msg_3', { status: 'failed', failureReason: 'other' }, { status: 'sent', failureReason: null })).toBe(false);
        expect(await repos.messages.setStatus('msg_3', { status: 'failed', failureReason: 'interrupted' }, { status: 'delivered', failureReason: null })).toBe(true);
      });
      expect(await uow().read((repos) => repos.messages.get('msg_3'))).toMatchObject({ status: 'delivered', failureReason: null, platformMessageId: null });
    });

    it('the access token is opened only through accessToken, and not for a deleted number', async () => {
      await seedWorld(uow());
      expect(await uow().read((repos) => repos.phoneNumbers.accessToken(W.pnA1))).toBe(`EAAG-token-of-${W.pnA1}`);
      expect(await uow().read((repos) => repos.phoneNumbers.byId(W.pnA1))).toMatchObject({ id: W.pnA1, orgId: W.orgA });
      const phone = (await uow().read((repos) => repos.phoneNumbers.byId(W.pnA2)))!;
      await uow().write((repos) => repos.phoneNumbers.update({ ...phone, deletedAt: T0 + 1 }));
      expect(await uow().read((repos) => repos.phoneNumbers.accessToken(W.pnA2))).toBeNull();
      expect(await uow().read((repos) => repos.phoneNumbers.byId(W.pnA2))).toBeNull();
    });
  });
}
