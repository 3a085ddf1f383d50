import type { Scope } from './scopes';

export type Plan = 'free' | 'pro' | 'enterprise';
export const PLANS: readonly Plan[] = ['free', 'pro', 'enterprise'];
export type Platform = 'whatsapp' | 'instagram';
export const PLATFORMS: readonly Platform[] = ['whatsapp', 'instagram'];

/** Times are epoch milliseconds, UTC. Dialects decide how to print them. */
export type Millis = number;

export interface Org {
  id: string;
  name: string;
  plan: Plan;
  createdAt: Millis;
  updatedAt: Millis;
}

export interface User {
  id: string;
  orgId: string;
  name: string;
  email: string | null;
  createdAt: Millis;
  updatedAt: Millis;
}

export interface ApiKey {
  id: string;
  orgId: string;
  userId: string | null;
  name: string;
  scopes: Scope[];
  tokenHash: string;
  lastUsedAt: Millis | null;
  expiresAt: Millis | null;
  revokedAt: Millis | null;
  createdAt: Millis;
}

export interface PhoneNumber {
  id: string;
  orgId: string;
  userId: string;
  platform: Platform;
  metaPhoneNumberId: string;
  displayName: string | null;
  wabaId: string | null;
  createdAt: Millis;
  updatedAt: Millis;
  deletedAt: Millis | null;
}

/** A phone number as written: the access token travels only inward, to storage. */
export interface PhoneNumberWrite extends PhoneNumber {
  accessToken?: string;
}

export interface ToolRef {
  name: string;
  connectorId: string | null;
}

export interface DataSourceRef {
  sourceId: string;
  scope: 'all' | 'selected';
  documents: string[];
}

export interface Agent {
  id: string;
  orgId: string;
  userId: string | null;
  handle: string;
  name: string;
  description: string | null;
  instructions: string | null;
  instructionsHtml: string | null;
  promptId: string | null;
  phoneNumberId: string | null;
  model: string | null;
  color: string;
  avatar: string | null;
  includeSystemPrompt: boolean;
  tools: ToolRef[];
  connectors: string[];
  subAgents: string[];
  dataSources: DataSourceRef[];
  isActive: boolean;
  deactivatedReason: string | null;
  deactivatedAt: Millis | null;
  createdAt: Millis;
  updatedAt: Millis;
  deletedAt: Millis | null;
}

/** The fields a list shows: no instruction texts or reference arrays, only how many tools and sub-agents. */
export type AgentSummary = Omit<Agent, 'instructions' | 'instructionsHtml' | 'tools' | 'connectors' | 'subAgents' | 'dataSources'> & {
  toolsCount: number;
  subAgentsCount: number;
};

export function summarizeAgent(agent: Agent): AgentSummary {
  const { instructions: _i, instructionsHtml: _h, tools, connectors: _c, subAgents, dataSources: _d, ...rest } = agent;
  return { ...rest, toolsCount: tools.length, subAgentsCount: subAgents.length };
}

export type ConversationStatus = 'active' | 'archived';

export interface Conversation {
  id: string;
  orgId: string;
  phoneNumberId: string;
  /** null for messages that reached a number with no active agent: kept all the same (§5). */
  agentId: string | null;
  customerId: string;
  status: ConversationStatus;
  archivedAt: Millis | null;
  archiveReason: string | null;
  messageCount: number;
  lastMessageAt: Millis | null;
  createdAt: Millis;
  updatedAt: Millis;
}

export type MessageRole = 'user' | 'assistant';

/**
 * Where a message stands (§8): a customer's message is `received`; a reply is `pending` from when it
 * is stored until Meta accepts it (`sent`), then `delivered`, `read`, or `failed` with a reason.
 */
export type MessageStatus = 'received' | 'pending' | 'sent' | 'delivered' | 'read' | 'failed';
export const MESSAGE_STATUSES = ['received', 'pending', 'sent', 'delivered', 'read', 'failed'] as const satisfies readonly MessageStatus[];

export interface Message {
  id: string;
  conversationId: string;
  phoneNumberId: string;
  /** Position in its conversation, from 1: messages are read in this order. */
  seq: number;
  role: MessageRole;
  text: string;
  /** `text`, or the platform's type for other content (`image`, `audio`, …). */
  type: string;
  platformMessageId: string | null;
  status: MessageStatus;
  /** Why a reply failed (the model's or Meta's error with its code, `interrupted`, `outside_window`); null unless `failed`. */
  failureReason: string | null;
  createdAt: Millis;
}

/**
 * The work of answering one conversation (§8), one row per conversation with customer messages
 * waiting for a reply. A worker takes it with a lease; every claim raises `epoch`, and a worker's
 * writes name the epoch it claimed, so a worker whose lease was taken over writes nothing.
 */
export interface ReplyJob {
  conversationId: string;
  orgId: string;
  phoneNumberId: string;
  /** The `seq` of the latest customer message waiting for an answer. */
  uptoSeq: number;
  /** The `seq` of the latest customer message a stored reply answers (0: none yet). */
  answeredSeq: number;
  /** `uptoSeq` when the job was last claimed: what the running turn answers. */
  claimedSeq: number;
  /** When the next turn may start: the debounce after the latest message, capped by `deadlineAt`. */
  dueAt: Millis;
  /** The first waiting message's time plus the longest wait (`REPLY_MAX_WAIT_MS`). */
  deadlineAt: Millis;
  epoch: number;
  /** Until when the current claim holds; null when nobody holds it. */
  leasedUntil: Millis | null;
  /** Claims of this job so far. */
  attempts: number;
  createdAt: Millis;
  updatedAt: Millis;
}

export interface ArchivalRecord {
  id: string;
  orgId: string;
  phoneNumberId: string;
  /** null when the archived conversations had no agent. */
  previousAgentId: string | null;
  newAgentId: string;
  conversationsArchived: number;
  createdAt: Millis;
}
