import {
  isDomainError,
  type Agent,
  type ApiKey,
  type Conversation,
  type DomainError,
  type DomainErrorCode,
  type Message,
  type Org,
  type PhoneNumber,
  type PhoneNumberWrite,
  type UnitOfWork,
  type User,
} from '@gateway/core';
import { afterEach, beforeEach, expect } from 'vitest';

/** What a driver hands the contract suite: a fresh, empty store per test. */
export interface OpenedStore {
  uow: UnitOfWork;
  close(): Promise<void>;
}
export type OpenStore = () => Promise<OpenedStore>;

/** Opens a fresh store before each test of the calling `describe`, closes it after. */
export function useStore(open: OpenStore): () => UnitOfWork {
  let store: OpenedStore | undefined;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  return () => {
    if (store === undefined) throw new Error('no store is open');
    return store.uow;
  };
}

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
export const MINUTE = 60_000;

export const anOrg = (id: string, over: Partial<Org> = {}): Org => ({
  id,
  name: `Org ${id}`,
  plan: 'pro',
  createdAt: T0,
  updatedAt: T0,
  ...over,
});

export const aUser = (id: string, orgId: string, over: Partial<User> = {}): User => ({
  id,
  orgId,
  name: `User ${id}`,
  email: `${id}@example.com`,
  createdAt: T0,
  updatedAt: T0,
  ...over,
});

export const anApiKey = (id: string, orgId: string, over: Partial<ApiKey> = {}): ApiKey => ({
  id,
  orgId,
  userId: null,
  name: `Key ${id}`,
  scopes: ['agents:read'],
  tokenHash: `hash-of-${id}`,
  lastUsedAt: null,
  expiresAt: null,
  revokedAt: null,
  createdAt: T0,
  ...over,
});

export const aPhone = (id: string, orgId: string, userId: string, over: Partial<PhoneNumberWrite> = {}): PhoneNumberWrite => ({
  id,
  orgId,
  userId,
  platform: 'whatsapp',
  // Digits derived from the id, one-to-one, so every fixture number has its own Meta id.
  metaPhoneNumberId: [...id].map((c) => String(c.charCodeAt(0)).padStart(3, '0')).join(''),
  displayName: `Number ${id}`,
  wabaId: null,
  createdAt: T0,
  updatedAt: T0,
  deletedAt: null,
  accessToken: `EAAG-token-of-${id}`,
  ...over,
});

/** The number as reads return it: never with its access token. */
export const stored = ({ accessToken: _secret, ...phone }: PhoneNumberWrite): PhoneNumber => phone;

export const anAgent = (id: string, orgId: string, over: Partial<Agent> = {}): Agent => ({
  id,
  orgId,
  userId: null,
  handle: id.replace(/[^A-Za-z0-9]/g, ''),
  name: `Agent ${id}`,
  description: null,
  instructions: 'Be helpful.',
  instructionsHtml: null,
  promptId: null,
  phoneNumberId: null,
  model: null,
  color: '#6366f1',
  avatar: null,
  includeSystemPrompt: true,
  tools: [],
  connectors: [],
  subAgents: [],
  dataSources: [],
  isActive: true,
  deactivatedReason: null,
  deactivatedAt: null,
  createdAt: T0,
  updatedAt: T0,
  deletedAt: null,
  ...over,
});

export const aConversation = (
  id: string,
  on: { orgId: string; phoneNumberId: string; agentId: string | null },
  over: Partial<Conversation> = {},
): Conversation => ({
  id,
  ...on,
  customerId: `cust-${id}`,
  status: 'active',
  archivedAt: null,
  archiveReason: null,
  messageCount: 0,
  lastMessageAt: null,
  createdAt: T0,
  updatedAt: T0,
  ...over,
});

export const aMessage = (id: string, conversation: Conversation, seq: number, over: Partial<Message> = {}): Message => ({
  id,
  conversationId: conversation.id,
  phoneNumberId: conversation.phoneNumberId,
  seq,
  role: 'user',
  text: `message ${id}`,
  type: 'text',
  platformMessageId: `wamid.${id}`,
  status: 'received',
  failureReason: null,
  createdAt: T0 + seq,
  ...over,
});

/**
 * Two orgs. Org A has users a1 and a2, each owning one number (a1 a WhatsApp number, a2 an
 * Instagram account); org B has user b1 and its number.
 */
export const W = {
  orgA: 'org_a',
  orgB: 'org_b',
  a1: 'usr_a1',
  a2: 'usr_a2',
  b1: 'usr_b1',
  pnA1: 'pn_a1',
  pnA2: 'pn_a2',
  pnB1: 'pn_b1',
} as const;

export const world = {
  orgs: [anOrg(W.orgA), anOrg(W.orgB)],
  users: [aUser(W.a1, W.orgA), aUser(W.a2, W.orgA), aUser(W.b1, W.orgB)],
  phones: [
    aPhone(W.pnA1, W.orgA, W.a1, { createdAt: T0 + 1 }),
    aPhone(W.pnA2, W.orgA, W.a2, { platform: 'instagram', createdAt: T0 + 2 }),
    aPhone(W.pnB1, W.orgB, W.b1, { createdAt: T0 + 3 }),
  ],
};

export async function seedWorld(uow: UnitOfWork): Promise<void> {
  await uow.write(async (repos) => {
    for (const org of world.orgs) await repos.orgs.insert(org);
    for (const user of world.users) await repos.users.insert(user);
    for (const phone of world.phones) await repos.phoneNumbers.insert(phone);
  });
}

/** Org-wide visibility, and the legacy dialect's view of one user's numbers. */
export const orgView = (orgId: string = W.orgA) => ({ orgId });
export const userView = (ownerUserId: string, orgId: string = W.orgA) => ({ orgId, ownerUserId });

export async function insertAgents(uow: UnitOfWork, ...agents: Agent[]): Promise<void> {
  await uow.write(async (repos) => {
    for (const agent of agents) await repos.agents.insert(agent);
  });
}

export async function insertConversations(uow: UnitOfWork, ...conversations: Conversation[]): Promise<void> {
  await uow.write(async (repos) => {
    for (const conversation of conversations) await repos.conversations.insert(conversation);
  });
}

/** Awaits a promise that must reject with a DomainError of `code`, and returns that error. */
export async function rejectsWithCode(promise: Promise<unknown>, code: DomainErrorCode): Promise<DomainError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a ${code} DomainError, but the call succeeded`);
    },
    (reason: unknown) => reason,
  );
  expect(isDomainError(error), `expected a DomainError ${code}, got ${String(error)}`).toBe(true);
  const domainError = error as DomainError;
  expect(domainError.code).toBe(code);
  return domainError;
}

/** Settles racing calls and tallies them: how many succeeded, and the codes of those that failed. */
export async function tally(calls: Promise<unknown>[]): Promise<{ won: number; codes: string[] }> {
  const results = await Promise.allSettled(calls);
  const codes = results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => (isDomainError(r.reason) ? r.reason.code : `not a DomainError: ${String(r.reason)}`));
  return { won: results.filter((r) => r.status === 'fulfilled').length, codes };
}

/** A promise the test resolves by hand, to hold a callback at an await. */
export function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

