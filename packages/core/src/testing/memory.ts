import { DomainError, validationFailed } from '../errors';
import { summarizeAgent, type Agent, type ApiKey, type ArchivalRecord, type Conversation, type Message, type Org, type PhoneNumber, type PhoneNumberWrite, type ReplyJob, type User } from '../model';
import type {
  ArchivedGroup,
  ClaimResult,
  IdempotencyRecord,
  PageRequest,
  PageResult,
  Repositories,
  SortKey,
  UnitOfWork,
  Visibility,
} from '../ports';

/**
 * An in-memory implementation of every port, for the core's unit tests. It enforces the same
 * constraints as the database, and the storage contract suite runs against it too, so it cannot
 * drift from the real adapters.
 */
interface State {
  orgs: Map<string, Org>;
  users: Map<string, User>;
  apiKeys: Map<string, ApiKey>;
  phoneNumbers: Map<string, PhoneNumber>;
  accessTokens: Map<string, string>;
  agents: Map<string, Agent>;
  conversations: Map<string, Conversation>;
  messages: Map<string, Message>;
  archivals: Map<string, ArchivalRecord>;
  idempotency: Map<string, IdempotencyRecord>;
  replyJobs: Map<string, ReplyJob>;
}

const emptyState = (): State => ({
  orgs: new Map(),
  users: new Map(),
  apiKeys: new Map(),
  phoneNumbers: new Map(),
  accessTokens: new Map(),
  agents: new Map(),
  conversations: new Map(),
  messages: new Map(),
  archivals: new Map(),
  idempotency: new Map(),
  replyJobs: new Map(),
});

const copyState = (s: State): State => {
  const out = {} as Record<keyof State, Map<string, unknown>>;
  for (const key of Object.keys(s) as (keyof State)[]) {
    out[key] = new Map([...s[key]].map(([k, v]) => [k, clone(v)]));
  }
  return out as unknown as State;
};

/** Entities are plain data: arrays, objects, strings, numbers, booleans and null. */
function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = clone(v);
    return out as T;
  }
  return value;
}

function page<T>(rows: T[], request: PageRequest, keyOf: (row: T) => SortKey, ascending: boolean): PageResult<T> {
  if (request.kind === 'offset') {
    return { items: rows.slice(request.offset, request.offset + request.limit).map(clone), total: rows.length, next: null };
  }
  const after = request.after;
  const rest = after === null ? rows : rows.filter((row) => compareKeys(keyOf(row), after) * (ascending ? 1 : -1) > 0);
  const items = rest.slice(0, request.limit);
  const last = items[items.length - 1];
  return { items: items.map(clone), next: rest.length > request.limit && last !== undefined ? keyOf(last) : null };
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return a.id === b.id ? 0 : a.id < b.id ? -1 : 1;
}

const newestFirst = <T>(rows: T[], keyOf: (row: T) => SortKey) => rows.sort((x, y) => compareKeys(keyOf(y), keyOf(x)));

function repositories(s: State): Repositories {
  const updateJob = (conversationId: string, epoch: number, change: (job: ReplyJob) => ReplyJob): boolean => {
    const job = s.replyJobs.get(conversationId);
    if (!job || job.epoch !== epoch) return false;
    s.replyJobs.set(conversationId, change(job));
    return true;
  };
  const phoneVisible = (v: Visibility, phoneId: string | null): boolean => {
    if (phoneId === null) return v.ownerUserId === undefined;
    const phone = s.phoneNumbers.get(phoneId);
    if (!phone || phone.orgId !== v.orgId) return v.ownerUserId === undefined;
    return v.ownerUserId === undefined || phone.userId === v.ownerUserId;
  };
  const agentVisible = (v: Visibility, a: Agent) => a.orgId === v.orgId && a.deletedAt === null && phoneVisible(v, a.phoneNumberId);
  const conversationVisible = (v: Visibility, c: Conversation) => c.orgId === v.orgId && phoneVisible(v, c.phoneNumberId);
  const agentKey = (a: Agent): SortKey => ({ at: a.createdAt, id: a.id });
  const conversationKey = (c: Conversation): SortKey => ({ at: c.lastMessageAt ?? c.createdAt, id: c.id });

  const checkAgentConstraints = (agent: Agent) => {
    for (const other of s.agents.values()) {
      if (other.id === agent.id || other.deletedAt !== null || agent.deletedAt !== null) continue;
      if (
        agent.isActive &&
        other.isActive &&
        agent.phoneNumberId !== null &&
        other.phoneNumberId === agent.phoneNumberId
      ) {
        throw new DomainError('phone_number_in_use', 'Phone number already has an active agent', {
          entity: 'phone_number',
          id: agent.phoneNumberId,
        });
      }
      if (other.orgId === agent.orgId && other.handle.toLowerCase() === agent.handle.toLowerCase()) {
        throw new DomainError('agent_handle_taken', `Agent with handle @${agent.handle} already exists`, {
          field: 'handle',
        });
      }
    }
  };

  const byNewest = <T extends { createdAt: number; id: string }>(rows: T[]) => newestFirst(rows, (r) => ({ at: r.createdAt, id: r.id })).map(clone);

  return {
    // Writes run one at a time on a copy of the state: nothing is left for a lock to do.
    locks: { org: async () => {}, phoneNumber: async () => {} },
    orgs: {
      insert: async (org) => void s.orgs.set(org.id, clone(org)),
      get: async (id) => clone(s.orgs.get(id) ?? null),
      count: async () => s.orgs.size,
      list: async () => byNewest([...s.orgs.values()]),
    },
    users: {
      insert: async (user) => {
        if (user.email !== null && [...s.users.values()].some((u) => u.email === user.email)) {
          throw validationFailed([{ field: 'email', rule: 'taken', message: 'email is already in use' }]);
        }
        s.users.set(user.id, clone(user));
      },
      get: async (orgId, id) => {
        const user = s.users.get(id);
        return user && user.orgId === orgId ? clone(user) : null;
      },
      list: async (orgId) => byNewest([...s.users.values()].filter((u) => u.orgId === orgId)),
    },
    apiKeys: {
      insert: async (key) => void s.apiKeys.set(key.id, clone(key)),
      get: async (id) => clone(s.apiKeys.get(id) ?? null),
      findByHash: async (hash) => clone([...s.apiKeys.values()].find((k) => k.tokenHash === hash) ?? null),
      list: async (orgId) => newestFirst([...s.apiKeys.values()].filter((k) => k.orgId === orgId), (k) => ({ at: k.createdAt, id: k.id })).map(clone),
      touch: async (id, at) => {
        const key = s.apiKeys.get(id);
        if (key && key.revokedAt === null && (key.lastUsedAt === null || key.lastUsedAt < at)) s.apiKeys.set(id, { ...key, lastUsedAt: at });
      },
      revoke: async (id, at) => {
        const key = s.apiKeys.get(id);
        if (!key || key.revokedAt !== null) return false;
        s.apiKeys.set(id, { ...key, revokedAt: at });
        return true;
      },
    },
    phoneNumbers: {
      insert: async (phone: PhoneNumberWrite) => {
        const taken = [...s.phoneNumbers.values()].some(
          (p) => p.deletedAt === null && p.platform === phone.platform && p.metaPhoneNumberId === phone.metaPhoneNumberId,
        );
        if (taken) throw new DomainError('phone_number_exists', 'Phone number already exists', { entity: 'phone_number' });
        const { accessToken, ...row } = phone;
        s.phoneNumbers.set(row.id, clone(row));
        if (accessToken !== undefined) s.accessTokens.set(row.id, accessToken);
      },
      update: async (phone: PhoneNumberWrite) => {
        const { accessToken, ...row } = phone;
        s.phoneNumbers.set(row.id, clone(row));
        if (accessToken !== undefined) s.accessTokens.set(row.id, accessToken);
      },
      get: async (v, id) => {
        const phone = s.phoneNumbers.get(id);
        if (!phone || phone.deletedAt !== null || phone.orgId !== v.orgId) return null;
        if (v.ownerUserId !== undefined && phone.userId !== v.ownerUserId) return null;
        return clone(phone);
      },
      findByMeta: async (platform, metaId) =>
        clone(
          [...s.phoneNumbers.values()].find((p) => p.deletedAt === null && p.platform === platform && p.metaPhoneNumberId === metaId) ??
            null,
        ),
      byId: async (id) => {
        const phone = s.phoneNumbers.get(id);
        return phone && phone.deletedAt === null ? clone(phone) : null;
      },
      accessToken: async (id) => {
        const phone = s.phoneNumbers.get(id);
        return phone && phone.deletedAt === null ? (s.accessTokens.get(id) ?? null) : null;
      },
      list: async (v, filter, request) => {
        const keyOf = (p: PhoneNumber): SortKey => ({ at: p.createdAt, id: p.id });
        const rows = [...s.phoneNumbers.values()].filter(
          (p) =>
            p.deletedAt === null &&
            p.orgId === v.orgId &&
            (v.ownerUserId === undefined || p.userId === v.ownerUserId) &&
            (filter.platform === undefined || p.platform === filter.platform),
        );
        return page(newestFirst(rows, keyOf), request, keyOf, false);
      },
    },
    agents: {
      insert: async (agent) => {
        if (s.agents.has(agent.id)) {
          throw new DomainError('agent_id_taken', `Agent with ID ${agent.id} already exists`, { entity: 'agent', id: agent.id });
        }
        checkAgentConstraints(agent);
        s.agents.set(agent.id, clone(agent));
      },
      update: async (agent) => {
        checkAgentConstraints(agent);
        s.agents.set(agent.id, clone(agent));
      },
      get: async (v, id) => {
        const agent = s.agents.get(id);
        return agent && agentVisible(v, agent) ? clone(agent) : null;
      },
      idExists: async (id) => s.agents.has(id),
      list: async (v, filter, request) => {
        const rows = [...s.agents.values()].filter(
          (a) => agentVisible(v, a) && (filter.phoneNumberId === undefined || a.phoneNumberId === filter.phoneNumberId),
        );
        const result = page(newestFirst(rows, agentKey), request, agentKey, false);
        return { ...result, items: result.items.map(summarizeAgent) };
      },
      activeOnPhoneNumber: async (phoneId) =>
        clone([...s.agents.values()].find((a) => a.deletedAt === null && a.isActive && a.phoneNumberId === phoneId) ?? null),
      countLive: async (orgId) => [...s.agents.values()].filter((a) => a.orgId === orgId && a.deletedAt === null).length,
      handlesWithPrefix: async (orgId, prefix) =>
        [...s.agents.values()]
          .filter((a) => a.orgId === orgId && a.deletedAt === null && a.handle.toLowerCase().startsWith(prefix.toLowerCase()))
          .map((a) => a.handle.toLowerCase()),
      liveIds: async (orgId, ids) => ids.filter((id) => {
        const a = s.agents.get(id);
        return a !== undefined && a.orgId === orgId && a.deletedAt === null;
      }),
      subAgentGraph: async (orgId) =>
        new Map(
          [...s.agents.values()].filter((a) => a.orgId === orgId && a.deletedAt === null).map((a) => [a.id, [...a.subAgents]]),
        ),
    },
    conversations: {
      insert: async (c) => {
        const clash = [...s.conversations.values()].some(
          (o) => o.status === 'active' && c.status === 'active' && o.phoneNumberId === c.phoneNumberId && o.customerId === c.customerId,
        );
        if (clash) throw new Error('an active conversation already exists for this customer on this number');
        s.conversations.set(c.id, clone(c));
      },
      recordMessage: async (id, at) => {
        const c = s.conversations.get(id);
        if (!c) throw new Error(`conversation ${id} does not exist`);
        const messageCount = c.messageCount + 1;
        s.conversations.set(id, { ...c, messageCount, lastMessageAt: at, updatedAt: at });
        return messageCount;
      },
      get: async (v, id) => {
        const c = s.conversations.get(id);
        return c && conversationVisible(v, c) ? clone(c) : null;
      },
      findActive: async (phoneId, customerId) =>
        clone(
          [...s.conversations.values()].find((c) => c.status === 'active' && c.phoneNumberId === phoneId && c.customerId === customerId) ??
            null,
        ),
      list: async (v, filter, request) => {
        const rows = [...s.conversations.values()].filter(
          (c) =>
            conversationVisible(v, c) &&
            (filter.agentId === undefined || c.agentId === filter.agentId) &&
            (filter.phoneNumberId === undefined || c.phoneNumberId === filter.phoneNumberId) &&
            (filter.status === undefined || c.status === filter.status),
        );
        return page(newestFirst(rows, conversationKey), request, conversationKey, false);
      },
      archiveOthers: async (phoneId, keepAgentId, at, reason) => {
        const counts = new Map<string | null, number>();
        for (const c of s.conversations.values()) {
          if (c.phoneNumberId !== phoneId || c.status !== 'active' || c.agentId === keepAgentId) continue;
          s.conversations.set(c.id, { ...c, status: 'archived', archivedAt: at, archiveReason: reason, updatedAt: at });
          counts.set(c.agentId, (counts.get(c.agentId) ?? 0) + 1);
        }
        return [...counts]
          .map(([agentId, count]): ArchivedGroup => ({ agentId, count }))
          .sort((a, b) => (a.agentId === b.agentId ? 0 : a.agentId === null ? -1 : b.agentId === null ? 1 : a.agentId < b.agentId ? -1 : 1));
      },
    },
    messages: {
      insert: async (m) => {
        const dup =
          m.platformMessageId !== null &&
          [...s.messages.values()].some((o) => o.phoneNumberId === m.phoneNumberId && o.platformMessageId === m.platformMessageId);
        if (dup) return false;
        s.messages.set(m.id, clone(m));
        return true;
      },
      seen: async (phoneId, pmid) => [...s.messages.values()].some((o) => o.phoneNumberId === phoneId && o.platformMessageId === pmid),
      list: async (conversationId, request) => {
        const keyOf = (m: Message): SortKey => ({ at: m.seq, id: m.id });
        const rows = [...s.messages.values()].filter((m) => m.conversationId === conversationId).sort((a, b) => a.seq - b.seq);
        return page(rows, request, keyOf, true);
      },
      get: async (id) => clone(s.messages.get(id) ?? null),
      latest: async (conversationId, limit) =>
        [...s.messages.values()]
          .filter((m) => m.conversationId === conversationId)
          .sort((a, b) => a.seq - b.seq)
          .slice(-limit)
          .map(clone),
      pending: async (conversationId) =>
        [...s.messages.values()]
          .filter((m) => m.conversationId === conversationId && m.role === 'assistant' && m.status === 'pending')
          .sort((a, b) => a.seq - b.seq)
          .map(clone),
      findByPlatformId: async (phoneId, pmid) =>
        clone([...s.messages.values()].find((m) => m.phoneNumberId === phoneId && m.platformMessageId === pmid) ?? null),
      setStatus: async (id, from, to) => {
        const m = s.messages.get(id);
        if (!m || m.status !== from.status || m.failureReason !== from.failureReason) return false;
        const pmid = to.platformMessageId;
        if (pmid !== undefined && m.platformMessageId === null) {
          const taken = [...s.messages.values()].some((o) => o.id !== id && o.phoneNumberId === m.phoneNumberId && o.platformMessageId === pmid);
          if (taken) return false;
        }
        s.messages.set(id, { ...m, status: to.status, failureReason: to.failureReason, platformMessageId: m.platformMessageId ?? pmid ?? null });
        return true;
      },
    },
    replyJobs: {
      enqueue: async ({ conversationId, orgId, phoneNumberId, seq, at, debounceMs, maxWaitMs }) => {
        const deadline = at + maxWaitMs;
        const debounced = Math.min(at + debounceMs, deadline);
        const job = s.replyJobs.get(conversationId);
        if (!job) {
          s.replyJobs.set(conversationId, {
            conversationId, orgId, phoneNumberId, uptoSeq: seq, answeredSeq: 0, claimedSeq: 0,
            dueAt: debounced, deadlineAt: deadline, epoch: 0, leasedUntil: null, attempts: 0, createdAt: at, updatedAt: at,
          });
          return;
        }
        const held = job.leasedUntil !== null && job.leasedUntil > at;
        const fresh = (held && job.uptoSeq <= job.claimedSeq) || job.uptoSeq <= job.answeredSeq;
        const deadlineAt = fresh ? deadline : job.deadlineAt;
        s.replyJobs.set(conversationId, { ...job, deadlineAt, dueAt: Math.min(debounced, deadlineAt), uptoSeq: Math.max(job.uptoSeq, seq), updatedAt: at });
      },
      claim: async (at, leaseUntil, limit, skipOrgIds) => {
        const due = [...s.replyJobs.values()]
          .filter((j) => j.dueAt <= at && (j.leasedUntil === null || j.leasedUntil <= at) && !skipOrgIds.includes(j.orgId))
          .sort((a, b) => a.dueAt - b.dueAt || (a.conversationId < b.conversationId ? -1 : 1))
          .slice(0, limit);
        return due.map((j) => {
          const claimed = { ...j, epoch: j.epoch + 1, claimedSeq: j.uptoSeq, attempts: j.attempts + 1, leasedUntil: leaseUntil, updatedAt: at };
          s.replyJobs.set(j.conversationId, claimed);
          return clone(claimed);
        });
      },
      get: async (conversationId) => clone(s.replyJobs.get(conversationId) ?? null),
      held: async (conversationId, epoch) => {
        const job = s.replyJobs.get(conversationId);
        return job && job.epoch === epoch ? clone(job) : null;
      },
      renew: async (conversationId, epoch, leaseUntil) => updateJob(conversationId, epoch, (j) => ({ ...j, leasedUntil: leaseUntil })),
      markAnswered: async (conversationId, epoch, at) => updateJob(conversationId, epoch, (j) => ({ ...j, answeredSeq: j.claimedSeq, updatedAt: at })),
      finish: async (conversationId, epoch, at) => {
        const job = s.replyJobs.get(conversationId);
        if (!job || job.epoch !== epoch) return 'lost';
        if (job.answeredSeq >= job.uptoSeq) {
          s.replyJobs.delete(conversationId);
          return 'done';
        }
        s.replyJobs.set(conversationId, { ...job, leasedUntil: null, updatedAt: at });
        return 'again';
      },
      drop: async (conversationId, epoch) => {
        const job = s.replyJobs.get(conversationId);
        if (!job || job.epoch !== epoch) return false;
        s.replyJobs.delete(conversationId);
        return true;
      },
      release: async (conversationId, epoch, at) => updateJob(conversationId, epoch, (j) => ({ ...j, leasedUntil: null, dueAt: at, updatedAt: at })),
      depth: async (at) => {
        const jobs = [...s.replyJobs.values()];
        const held = (j: ReplyJob) => j.leasedUntil !== null && j.leasedUntil > at;
        return {
          due: jobs.filter((j) => !held(j) && j.dueAt <= at).length,
          waiting: jobs.filter((j) => !held(j) && j.dueAt > at).length,
          held: jobs.filter(held).length,
        };
      },
    },
    archivals: {
      insert: async (r) => void s.archivals.set(r.id, clone(r)),
      listByPhoneNumber: async (phoneId) =>
        [...s.archivals.values()].filter((r) => r.phoneNumberId === phoneId).sort((a, b) => a.createdAt - b.createdAt).map(clone),
    },
    idempotency: {
      claim: async (record, staleBefore): Promise<ClaimResult> => {
        const id = `${record.keyId}\u0000${record.idempotencyKey}`;
        const existing = s.idempotency.get(id);
        const takeOver =
          existing === undefined ||
          existing.expiresAt <= record.createdAt ||
          (existing.status === null && existing.lockedAt < staleBefore);
        if (takeOver) {
          s.idempotency.set(id, clone(record));
          return { outcome: 'claimed', fence: record.lockedAt };
        }
        if (existing.fingerprint !== record.fingerprint) return { outcome: 'mismatch' };
        if (existing.status !== null) return { outcome: 'replay', record: clone(existing) };
        return { outcome: 'in_flight' };
      },
      complete: async (keyId, key, fence, status, body) => {
        const id = `${keyId}\u0000${key}`;
        const existing = s.idempotency.get(id);
        if (!existing || existing.lockedAt !== fence || existing.status !== null) return false;
        s.idempotency.set(id, { ...existing, status, body });
        return true;
      },
      release: async (keyId, key, fence) => {
        const id = `${keyId}\u0000${key}`;
        const existing = s.idempotency.get(id);
        if (existing && existing.lockedAt === fence && existing.status === null) s.idempotency.delete(id);
      },
      purgeExpired: async (at) => {
        let n = 0;
        for (const [id, r] of s.idempotency) {
          if (r.expiresAt <= at) {
            s.idempotency.delete(id);
            n++;
          }
        }
        return n;
      },
    },
  };
}

export interface MemoryUnitOfWork extends UnitOfWork {
  /** The decrypted access token stored for a number (tests only). */
  accessTokenOf(phoneNumberId: string): string | undefined;
}

/** Writes run one at a time on a copy of the state, which replaces it only when the callback succeeds. */
export function createMemoryUnitOfWork(): MemoryUnitOfWork {
  let state = emptyState();
  let queue: Promise<unknown> = Promise.resolve();
  return {
    read: (work) => work(repositories(state)),
    write: <T>(work: (repos: Repositories) => Promise<T>): Promise<T> => {
      const run = queue.then(async () => {
        const draft = copyState(state);
        const result = await work(repositories(draft));
        state = draft;
        return result;
      });
      queue = run.catch(() => undefined);
      return run;
    },
    accessTokenOf: (id) => state.accessTokens.get(id),
  };
}
