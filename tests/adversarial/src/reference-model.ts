import type { Snapshot } from './snapshot';

/**
 * A reference model of what an org's agents, conversations and replies must look like after any
 * sequence of requests, written from the contract alone (§1 R1–R4, R10; §5; §8), never from the
 * gateway's code:
 * - R1 one active agent per number; R2 an agent that becomes a number's active agent archives the
 *   other agents' active conversations there, with an archival record, and the customer's next
 *   message opens a new conversation; R3 a deleted agent is gone (404) but its row and
 *   conversations stay, and its handle and number are free; R4 handles unique case-insensitively
 *   among live agents (legacy agents get one derived from the name, `2`, `3`, … on collision);
 *   R10 at most `limit` live agents.
 * - §8 a customer message on a conversation whose agent is the number's active agent queues work;
 *   a claimed turn is answered by one reply at most, which goes out only while the agent still
 *   answers; statuses move forwards only, whatever the order and however often Meta repeats them.
 *
 * The model decides what each request should answer (`plan*`) and how the state moves (`apply*`);
 * `checkSnapshot` compares it with the database, and also checks the rules on the stored rows alone.
 */

export type Dialect = 'legacy' | 'org';
export type Platform = 'whatsapp' | 'instagram';
export type ReplyStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';
export type MessageStatus = 'received' | ReplyStatus;
export type DeliveryState = 'sent' | 'delivered' | 'read' | 'failed';

export const ARCHIVE_REASON = 'agent_replaced';
export const INTERRUPTED = 'interrupted';
export const AGENT_UNAVAILABLE = 'agent_unavailable';

/**
 * R4: the names the model uses, with the handle a legacy agent of that name gets (ASCII-folded,
 * camelCased, non-alphanumerics dropped, `agent` before a leading digit), worked out by hand.
 */
export const NAMES: Readonly<Record<string, string>> = {
  'Front Desk': 'frontDesk',
  'front desk': 'frontDesk',
  Sales: 'sales',
  'SALES team': 'salesTeam',
  Support: 'support',
  '24/7 Help': 'agent247Help',
  'Émile Bot': 'emileBot',
};
export const NAME_LIST = Object.keys(NAMES);
/** Org handles, chosen to collide with each other and with the derived ones, in any case. */
export const HANDLES = ['sales', 'Sales', 'SALES2', 'frontDesk', 'FRONTDESK', 'support', 'salesTeam', 'desk', 'agent247Help', 'EmileBot'] as const;

export interface NumberState {
  id: string;
  metaId: string;
  platform: Platform;
  owner: string;
}

export interface AgentState {
  id: string;
  handle: string;
  name: string;
  number: string | null;
  isActive: boolean;
  deleted: boolean;
  promptId: string | null;
  instructions: string | null;
}

export interface MessageState {
  /** Known for replies (the core returns it); customer messages are told apart by seq. */
  id: string | null;
  seq: number;
  role: 'user' | 'assistant';
  status: MessageStatus;
  failureReason: string | null;
  platformMessageId: string | null;
  /** A reply's id at Meta once Meta accepted it, even when the gateway never learnt it (interrupted). */
  metaId: string | null;
}

export interface ConversationState {
  id: string;
  number: string;
  customer: string;
  agent: string | null;
  status: 'active' | 'archived';
  archiveReason: string | null;
  messages: MessageState[];
}

/** The reply queue row of a conversation (§8): one turn at a time, fenced by its epoch. */
export interface JobState {
  conversation: string;
  upto: number;
  answered: number;
  claimed: number;
  epoch: number;
  held: boolean;
  /** Where the held turn is: begun (the model is being asked), its reply stored and not yet sent. */
  stage: 'idle' | 'begun' | 'stored';
  /** The reply of the held turn, once stored. */
  reply: string | null;
}

export interface ArchivalExpectation {
  number: string;
  previous: string | null;
  next: string;
  count: number;
}

export interface Model {
  limit: number;
  users: readonly string[];
  numbers: readonly NumberState[];
  agents: AgentState[];
  conversations: ConversationState[];
  jobs: Map<string, JobState>;
  archivals: ArchivalExpectation[];
  /** Every customer message sent, for redeliveries. */
  inbound: { number: string; customer: string; pmid: string; platform: Platform }[];
  /** How many send permits each reply got: at most one (§8). */
  permits: Map<string, number>;
}

export function newModel(limit: number, users: readonly string[], numbers: readonly NumberState[]): Model {
  return { limit, users, numbers, agents: [], conversations: [], jobs: new Map(), archivals: [], inbound: [], permits: new Map() };
}

// ---------------------------------------------------------------------------------------------
// What the model knows.

export const live = (m: Model) => m.agents.filter((a) => !a.deleted);
export const activeOn = (m: Model, numberId: string) => m.agents.find((a) => !a.deleted && a.isActive && a.number === numberId) ?? null;
export const numberOf = (m: Model, numberId: string) => {
  const found = m.numbers.find((n) => n.id === numberId);
  if (!found) throw new Error(`the model has no number ${numberId}`);
  return found;
};
export const conversation = (m: Model, id: string) => {
  const found = m.conversations.find((c) => c.id === id);
  if (!found) throw new Error(`the model has no conversation ${id}`);
  return found;
};
/** §3: in the legacy dialect a user sees the agents on the numbers they own. */
export const legacyVisible = (m: Model, agent: AgentState, userId: string) =>
  !agent.deleted && agent.number !== null && numberOf(m, agent.number).owner === userId;
export const replies = (m: Model) => m.conversations.flatMap((c) => c.messages.filter((x) => x.role === 'assistant').map((x) => ({ reply: x, conversation: c })));

const handleTaken = (m: Model, handle: string, except: string | null = null) =>
  live(m).some((a) => a.id !== except && a.handle.toLowerCase() === handle.toLowerCase());

/** R4: the first of base, base2, base3, … that no live agent holds, compared case-insensitively. */
export function freeHandle(m: Model, base: string): string {
  if (!handleTaken(m, base)) return base;
  for (let n = 2; ; n++) if (!handleTaken(m, `${base}${n}`)) return `${base}${n}`;
}

/** §8: whether the conversation's agent answers it now (the conversation is active and its agent is the number's active agent). */
export function answers(m: Model, c: ConversationState): boolean {
  if (c.status !== 'active' || c.agent === null) return false;
  const agent = activeOn(m, c.number);
  return agent !== null && agent.id === c.agent && (agent.instructions !== null || agent.promptId !== null);
}

// ---------------------------------------------------------------------------------------------
// Agents: what a request should answer, and how the state moves.

export type Outcome =
  | { kind: 'ok' }
  | { kind: 'not_found'; entity: 'agent' | 'phone_number' }
  | { kind: 'plan_limit' }
  | { kind: 'number_in_use' }
  | { kind: 'handle_taken' };

export interface CreateRequest {
  dialect: Dialect;
  number: string | null;
  name: string;
  /** Org only; a legacy agent's handle is derived from its name. */
  handle?: string;
  /** Legacy only: the user in the path. */
  pathUser?: string;
  promptId?: string;
  instructions?: string;
}

/**
 * The order the checks run in (legacy-dialect.md, org-dialect.md "Which error wins"): the number
 * (R12 and §3 visibility) → the plan limit (R10) → a held number (R1) → a taken handle (R4).
 */
export function planCreate(m: Model, r: CreateRequest): { outcome: Outcome; handle: string } {
  const handle = r.dialect === 'legacy' ? freeHandle(m, baseHandle(r.name)) : (r.handle ?? '');
  if (r.dialect === 'legacy' && (r.number === null || numberOf(m, r.number).owner !== r.pathUser)) {
    return { outcome: { kind: 'not_found', entity: 'phone_number' }, handle };
  }
  if (live(m).length >= m.limit) return { outcome: { kind: 'plan_limit' }, handle };
  if (r.number !== null && activeOn(m, r.number) !== null) return { outcome: { kind: 'number_in_use' }, handle };
  if (handleTaken(m, handle)) return { outcome: { kind: 'handle_taken' }, handle };
  return { outcome: { kind: 'ok' }, handle };
}

export function baseHandle(name: string): string {
  const base = NAMES[name];
  if (base === undefined) throw new Error(`the model knows no handle for the name ${JSON.stringify(name)}`);
  return base;
}

export function applyCreate(m: Model, r: CreateRequest, id: string, handle: string): AgentState {
  const agent: AgentState = {
    id,
    handle,
    name: r.name,
    number: r.number,
    isActive: true,
    deleted: false,
    promptId: r.promptId ?? null,
    instructions: r.instructions ?? null,
  };
  m.agents.push(agent);
  if (agent.number !== null) takeOver(m, agent);
  return agent;
}

export interface UpdateRequest {
  dialect: Dialect;
  pathUser?: string;
  name?: string;
  instructions?: string;
  promptId?: string;
  handle?: string;
  isActive?: boolean;
  /** undefined keeps the number; null detaches (org only). */
  number?: string | null;
}

/**
 * R1 for moves and re-activations: an agent that becomes active on a number (it moves there while
 * active, or is re-activated on it) must find it free. Order: the agent (404) → the number it moves
 * to (R12) → a held number (R1) → a taken handle (R4).
 */
export function planUpdate(m: Model, agent: AgentState, r: UpdateRequest): { outcome: Outcome; next: AgentState; takesOver: boolean } {
  const next: AgentState = {
    ...agent,
    ...(r.name !== undefined ? { name: r.name } : {}),
    ...(r.instructions !== undefined ? { instructions: r.instructions } : {}),
    ...(r.promptId !== undefined ? { promptId: r.promptId } : {}),
    ...(r.handle !== undefined ? { handle: r.handle } : {}),
    ...(r.isActive !== undefined ? { isActive: r.isActive } : {}),
    ...(r.number !== undefined ? { number: r.number } : {}),
  };
  const fail = (outcome: Outcome) => ({ outcome, next, takesOver: false });
  if (agent.deleted) return fail({ kind: 'not_found', entity: 'agent' });
  if (r.dialect === 'legacy' && !legacyVisible(m, agent, r.pathUser ?? '')) return fail({ kind: 'not_found', entity: 'agent' });
  const moved = next.number !== agent.number;
  if (r.dialect === 'legacy' && moved && next.number !== null && numberOf(m, next.number).owner !== r.pathUser) {
    return fail({ kind: 'not_found', entity: 'phone_number' });
  }
  const takesOver = next.isActive && next.number !== null && (moved || !agent.isActive);
  if (takesOver) {
    const holder = activeOn(m, next.number as string);
    if (holder !== null && holder.id !== agent.id) return fail({ kind: 'number_in_use' });
  }
  if (r.handle !== undefined && handleTaken(m, r.handle, agent.id)) return fail({ kind: 'handle_taken' });
  return { outcome: { kind: 'ok' }, next, takesOver };
}

export function applyUpdate(m: Model, agent: AgentState, next: AgentState, takesOver: boolean): void {
  Object.assign(agent, next);
  if (takesOver) takeOver(m, agent);
}

export function planDelete(m: Model, agent: AgentState, dialect: Dialect, pathUser?: string): Outcome {
  if (agent.deleted) return { kind: 'not_found', entity: 'agent' };
  if (dialect === 'legacy' && !legacyVisible(m, agent, pathUser ?? '')) return { kind: 'not_found', entity: 'agent' };
  return { kind: 'ok' };
}

/** R3: the agent is gone; its conversations stay as they are until another agent takes the number. */
export function applyDelete(_m: Model, agent: AgentState): void {
  agent.deleted = true;
}

/** R2: the agent has just become its number's active agent. */
function takeOver(m: Model, agent: AgentState): void {
  const counts = new Map<string | null, number>();
  for (const c of m.conversations) {
    if (c.number !== agent.number || c.status !== 'active' || c.agent === agent.id) continue;
    c.status = 'archived';
    c.archiveReason = ARCHIVE_REASON;
    counts.set(c.agent, (counts.get(c.agent) ?? 0) + 1);
  }
  for (const [previous, count] of counts) m.archivals.push({ number: agent.number as string, previous, next: agent.id, count });
}

// ---------------------------------------------------------------------------------------------
// §5 and §8: customer messages, the reply turn, status callbacks.

export interface Received {
  duplicate: boolean;
  conversation: ConversationState | null;
  newConversation: boolean;
  enqueued: boolean;
}

/**
 * §5: a message goes to the customer's active conversation on the number, or a new one with the
 * number's active agent (none: `agent` null). A platform message id is stored once per number.
 * §8: it queues work when the conversation's agent is the number's active agent.
 * `newId` names the conversation the gateway opened (its id is the server's).
 */
export function receive(m: Model, input: { number: string; customer: string; pmid: string }, newId: () => string): Received {
  const duplicate = m.conversations.some((c) => c.number === input.number && c.messages.some((x) => x.platformMessageId === input.pmid));
  if (duplicate) return { duplicate, conversation: null, newConversation: false, enqueued: false };
  let c = m.conversations.find((x) => x.number === input.number && x.customer === input.customer && x.status === 'active');
  const newConversation = c === undefined;
  if (c === undefined) {
    c = { id: newId(), number: input.number, customer: input.customer, agent: activeOn(m, input.number)?.id ?? null, status: 'active', archiveReason: null, messages: [] };
    m.conversations.push(c);
  }
  const seq = c.messages.length + 1;
  c.messages.push({ id: null, seq, role: 'user', status: 'received', failureReason: null, platformMessageId: input.pmid, metaId: null });
  const enqueued = answers(m, c);
  if (enqueued) {
    const job = m.jobs.get(c.id);
    if (job) job.upto = Math.max(job.upto, seq);
    else m.jobs.set(c.id, { conversation: c.id, upto: seq, answered: 0, claimed: 0, epoch: 0, held: false, stage: 'idle', reply: null });
  }
  return { duplicate, conversation: c, newConversation, enqueued };
}

/** The jobs a claim takes: every one nobody holds (with no debounce, each is due at once). */
export function claim(m: Model): JobState[] {
  const taken = [...m.jobs.values()].filter((j) => !j.held);
  for (const job of taken) {
    job.epoch += 1;
    job.claimed = job.upto;
    job.held = true;
  }
  return taken;
}

/** Begin of a held turn, and again when the model has answered: the agent must still answer, else the job is dropped. */
export function begin(m: Model, conversationId: string): 'answer' | 'dropped' {
  const job = m.jobs.get(conversationId);
  if (!job) throw new Error(`no job for ${conversationId}`);
  if (answers(m, conversation(m, conversationId))) {
    job.stage = 'begun';
    return 'answer';
  }
  m.jobs.delete(conversationId);
  return 'dropped';
}

/** Whether the model's answer may be stored now (the agent still answers); else the job is dropped and nothing is stored. */
export function mayStore(m: Model, conversationId: string): 'stored' | 'dropped' {
  if (answers(m, conversation(m, conversationId))) return 'stored';
  m.jobs.delete(conversationId);
  return 'dropped';
}

/**
 * The reply is stored before any send, and answers every message claimed: `pending`, or, when the
 * model failed, `failed` with empty text and the model's error (§8 "Failure is visible").
 */
export function store(m: Model, conversationId: string, replyId: string, modelFailure: string | null = null): void {
  const c = conversation(m, conversationId);
  const job = m.jobs.get(conversationId);
  if (!job) throw new Error(`no job for ${conversationId}`);
  c.messages.push({
    id: replyId,
    seq: c.messages.length + 1,
    role: 'assistant',
    status: modelFailure === null ? 'pending' : 'failed',
    failureReason: modelFailure,
    platformMessageId: null,
    metaId: null,
  });
  job.answered = job.claimed;
  job.stage = 'stored';
  job.reply = replyId;
}

/** Right before the send: the agent must still answer, else the reply fails as agent_unavailable. */
export function prepare(m: Model, conversationId: string, replyId: string): 'send' | 'agent_unavailable' {
  const c = conversation(m, conversationId);
  const reply = c.messages.find((x) => x.id === replyId);
  if (!reply) throw new Error(`no reply ${replyId}`);
  if (answers(m, c)) return 'send';
  reply.status = 'failed';
  reply.failureReason = AGENT_UNAVAILABLE;
  return 'agent_unavailable';
}

/** The gateway let a reply go out (counted from what it answered, not predicted). */
export function notePermit(m: Model, replyId: string): void {
  m.permits.set(replyId, (m.permits.get(replyId) ?? 0) + 1);
}

/**
 * What the send did, recorded after it: Meta accepted it (`sent` with Meta's id), or its answer
 * was lost (`failed` as interrupted: Meta may have it). Forwards only here too: a status callback
 * that got there first (through the reply's own id) is kept, and only Meta's id is filled in.
 */
export function recordSend(m: Model, conversationId: string, replyId: string, metaId: string, outcome: 'sent' | 'interrupted'): void {
  const reply = conversation(m, conversationId).messages.find((x) => x.id === replyId);
  if (!reply) throw new Error(`no reply ${replyId}`);
  reply.metaId = metaId;
  if (outcome === 'sent') {
    if (reply.status === 'pending' || (reply.status === 'failed' && reply.failureReason === INTERRUPTED)) {
      reply.status = 'sent';
      reply.failureReason = null;
    }
    reply.platformMessageId = metaId;
  } else if (reply.status === 'pending') {
    reply.status = 'failed';
    reply.failureReason = INTERRUPTED;
  }
}

/** The turn ends: the job is gone when every message is answered, else it waits for the next turn. */
export function finish(m: Model, conversationId: string): 'done' | 'again' {
  const job = m.jobs.get(conversationId);
  if (!job) throw new Error(`no job for ${conversationId}`);
  if (job.answered >= job.upto) {
    m.jobs.delete(conversationId);
    return 'done';
  }
  job.held = false;
  job.stage = 'idle';
  job.reply = null;
  return 'again';
}

const RANK: Record<ReplyStatus, number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/**
 * §8 forwards only: pending < sent < delivered < read; Meta's `failed` settles a reply not yet
 * delivered; a reply failed as `interrupted` (its send's answer was lost) takes whatever Meta
 * reports; any other failure is final.
 */
export function advance(status: MessageStatus, reason: string | null, incoming: DeliveryState, incomingReason: string | null): { status: ReplyStatus; failureReason: string | null } | null {
  if (status === 'received') return null;
  const to = { status: incoming, failureReason: incoming === 'failed' ? incomingReason : null };
  if (status === 'failed') return reason === INTERRUPTED ? to : null;
  if (incoming === 'failed') return status === 'pending' || status === 'sent' ? to : null;
  return RANK[incoming] > RANK[status] ? to : null;
}

/** Whether a stored reply may have moved from `from` to `to` between two snapshots. */
export function forwards(from: { status: string; failureReason: string | null }, to: { status: string; failureReason: string | null }): boolean {
  if (from.status === to.status && from.failureReason === to.failureReason) return true;
  if (from.status === 'received' || to.status === 'received' || to.status === 'pending') return false;
  if (from.status === 'failed') return from.failureReason === INTERRUPTED;
  if (to.status === 'failed') return from.status === 'pending' || from.status === 'sent';
  return RANK[to.status as ReplyStatus] > RANK[from.status as ReplyStatus];
}

export interface StatusUpdate {
  number: string;
  platformMessageId: string;
  status: DeliveryState;
  failureReason: string | null;
  /** WhatsApp's biz_opaque_callback_data: the reply's own id. */
  callbackData: string | null;
}

/** A status callback: found by Meta's id on the number, or by the reply's own id when Meta's was never stored. */
export function applyStatus(m: Model, update: StatusUpdate): 'applied' | 'unchanged' | 'unknown_message' {
  const onNumber = m.conversations.filter((c) => c.number === update.number).flatMap((c) => c.messages);
  let message = onNumber.find((x) => x.platformMessageId === update.platformMessageId);
  if (!message && update.callbackData !== null) {
    message = onNumber.find((x) => x.id === update.callbackData && x.role === 'assistant' && x.platformMessageId === null);
  }
  if (!message) return 'unknown_message';
  const next = advance(message.status, message.failureReason, update.status, update.failureReason);
  const needsId = message.platformMessageId === null;
  if (needsId) message.platformMessageId = update.platformMessageId;
  if (next === null) return 'unchanged';
  message.status = next.status;
  message.failureReason = next.failureReason;
  return 'applied';
}

// ---------------------------------------------------------------------------------------------
// The database against the model, and the rules on the stored rows alone.

type Row = Record<string, unknown>;
const bool = (v: unknown) => v === true || v === 1 || v === '1' || v === 't';
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export interface OrgRows {
  agents: Row[];
  conversations: Row[];
  messages: Row[];
  archivals: Row[];
  jobs: Row[];
}

export function orgRows(snapshot: Snapshot, orgId: string): OrgRows {
  const conversations = snapshot.conversations.filter((c) => c.org_id === orgId);
  const ids = new Set(conversations.map((c) => c.id));
  return {
    agents: snapshot.agents.filter((a) => a.org_id === orgId),
    conversations,
    messages: snapshot.messages.filter((x) => ids.has(x.conversation_id)).sort((a, b) => Number(a.seq) - Number(b.seq)),
    archivals: snapshot.archival_records.filter((r) => r.org_id === orgId),
    jobs: snapshot.reply_jobs.filter((j) => j.org_id === orgId),
  };
}

/**
 * The rules on the stored rows alone (no model): at most one active agent per number (R1); a
 * number's active agent owns every active conversation on it, and every archived conversation has
 * the archival record of its takeover (R2); handles unique among live agents (R4); at most `limit`
 * live agents (R10); a reply's status only moved forwards since `previous` (§8); never more replies
 * in a conversation than customer messages, each claimed turn answered once (§8).
 */
export function ruleProblems(rows: OrgRows, limit: number, previous: OrgRows | null): string[] {
  const problems: string[] = [];
  const liveAgents = rows.agents.filter((a) => a.deleted_at === null);
  const active = liveAgents.filter((a) => bool(a.is_active) && a.phone_number_id !== null);
  const byNumber = new Map<string, Row[]>();
  for (const a of active) byNumber.set(String(a.phone_number_id), [...(byNumber.get(String(a.phone_number_id)) ?? []), a]);
  for (const [number, holders] of byNumber) {
    if (holders.length > 1) problems.push(`R1: number ${number} has ${holders.length} active agents: ${holders.map((a) => a.id).join(', ')}`);
    const holder = holders[0];
    for (const c of rows.conversations) {
      if (c.phone_number_id === number && c.status === 'active' && c.agent_id !== holder?.id) {
        problems.push(`R2: conversation ${c.id} of ${c.agent_id} is still active on ${number}, whose active agent is ${holder?.id}`);
      }
    }
  }
  const archivedGroups = new Map<string, number>();
  for (const c of rows.conversations) {
    if (c.status !== 'archived') continue;
    if (c.archive_reason !== ARCHIVE_REASON || c.archived_at === null) problems.push(`R2: conversation ${c.id} archived without reason ${ARCHIVE_REASON} and a time`);
    const key = `${c.phone_number_id}|${c.agent_id}|${num(c.archived_at)}`;
    archivedGroups.set(key, (archivedGroups.get(key) ?? 0) + 1);
  }
  const recorded = new Map<string, number>();
  for (const r of rows.archivals) {
    const key = `${r.phone_number_id}|${r.previous_agent_id}|${num(r.created_at)}`;
    recorded.set(key, (recorded.get(key) ?? 0) + Number(r.conversations_archived));
  }
  for (const [key, count] of archivedGroups) {
    if (recorded.get(key) !== count) problems.push(`R2: ${count} conversations archived as ${key}, archival records say ${recorded.get(key) ?? 0}`);
  }
  const handles = new Map<string, string>();
  for (const a of liveAgents) {
    const lower = String(a.handle).toLowerCase();
    if (handles.has(lower)) problems.push(`R4: live agents ${handles.get(lower)} and ${a.id} share the handle ${lower}`);
    handles.set(lower, String(a.id));
  }
  if (liveAgents.length > limit) problems.push(`R10: ${liveAgents.length} live agents, the plan allows ${limit}`);
  const before = new Map((previous?.messages ?? []).map((x) => [x.id, x]));
  for (const x of rows.messages) {
    const was = before.get(x.id);
    if (was && !forwards({ status: String(was.status), failureReason: str(was.failure_reason) }, { status: String(x.status), failureReason: str(x.failure_reason) })) {
      problems.push(`§8: message ${x.id} moved from ${was.status}/${was.failure_reason} to ${x.status}/${x.failure_reason}`);
    }
    if (was && was.platform_message_id !== null && x.platform_message_id !== was.platform_message_id) problems.push(`§8: message ${x.id} changed its Meta id`);
    if (x.role === 'assistant' && !['pending', 'sent', 'delivered', 'read', 'failed'].includes(String(x.status))) problems.push(`§8: reply ${x.id} is ${x.status}`);
    if (x.role === 'user' && x.status !== 'received') problems.push(`§8: customer message ${x.id} is ${x.status}`);
    if ((x.status === 'failed') !== (x.failure_reason !== null)) problems.push(`§8: message ${x.id} is ${x.status} with failure_reason ${x.failure_reason}`);
  }
  for (const c of rows.conversations) {
    const own = rows.messages.filter((x) => x.conversation_id === c.id);
    const users = own.filter((x) => x.role === 'user').length;
    const assistants = own.filter((x) => x.role === 'assistant').length;
    if (assistants > users) problems.push(`§8: conversation ${c.id} has ${assistants} replies to ${users} customer messages`);
    if (Number(c.message_count) !== own.length) problems.push(`conversation ${c.id} counts ${c.message_count} messages, holds ${own.length}`);
  }
  if (previous) {
    // R3: nothing is ever removed: agents, conversations and messages only grow.
    const agentIds = new Set(rows.agents.map((a) => a.id));
    const conversationIds = new Set(rows.conversations.map((c) => c.id));
    const messageIds = new Set(rows.messages.map((x) => x.id));
    for (const a of previous.agents) if (!agentIds.has(a.id)) problems.push(`R3: agent ${a.id} was removed`);
    for (const c of previous.conversations) if (!conversationIds.has(c.id)) problems.push(`R3: conversation ${c.id} was removed`);
    for (const x of previous.messages) if (!messageIds.has(x.id)) problems.push(`message ${x.id} was removed`);
    for (const a of previous.agents) {
      const now = rows.agents.find((b) => b.id === a.id);
      if (a.deleted_at !== null && now && now.deleted_at === null) problems.push(`R3: deleted agent ${a.id} came back`);
    }
  }
  return problems;
}

/** Where the database and the model disagree. */
export function modelProblems(m: Model, rows: OrgRows): string[] {
  const problems: string[] = [];
  const say = (what: string, stored: unknown, expected: unknown) => {
    if (JSON.stringify(stored) !== JSON.stringify(expected)) problems.push(`${what}: stored ${JSON.stringify(stored)}, expected ${JSON.stringify(expected)}`);
  };
  say('agents', rows.agents.map((a) => a.id).sort(), m.agents.map((a) => a.id).sort());
  for (const agent of m.agents) {
    const row = rows.agents.find((a) => a.id === agent.id);
    if (!row) continue;
    say(`agent ${agent.id}`, {
      handle: row.handle,
      name: row.name,
      number: row.phone_number_id,
      isActive: bool(row.is_active),
      deactivated: row.deactivated_at !== null,
      deleted: row.deleted_at !== null,
      promptId: row.prompt_id,
      instructions: row.instructions,
    }, {
      handle: agent.handle,
      name: agent.name,
      number: agent.number,
      isActive: agent.isActive,
      deactivated: !agent.isActive,
      deleted: agent.deleted,
      promptId: agent.promptId,
      instructions: agent.instructions,
    });
  }
  say('conversations', rows.conversations.map((c) => c.id).sort(), m.conversations.map((c) => c.id).sort());
  for (const c of m.conversations) {
    const row = rows.conversations.find((x) => x.id === c.id);
    if (!row) continue;
    say(`conversation ${c.id}`, {
      number: row.phone_number_id,
      customer: row.customer_id,
      agent: row.agent_id,
      status: row.status,
      archiveReason: row.archive_reason,
      messageCount: num(row.message_count),
    }, { number: c.number, customer: c.customer, agent: c.agent, status: c.status, archiveReason: c.archiveReason, messageCount: c.messages.length });
    say(
      `messages of ${c.id}`,
      rows.messages
        .filter((x) => x.conversation_id === c.id)
        .map((x) => ({ seq: num(x.seq), role: x.role, status: x.status, failureReason: x.failure_reason, platformMessageId: x.platform_message_id, ...(x.role === 'assistant' ? { id: x.id } : {}) })),
      c.messages.map((x) => ({ seq: x.seq, role: x.role, status: x.status, failureReason: x.failureReason, platformMessageId: x.platformMessageId, ...(x.role === 'assistant' ? { id: x.id } : {}) })),
    );
  }
  const archival = (r: { number: unknown; previous: unknown; next: unknown; count: unknown }) => `${r.number}|${r.previous}|${r.next}|${r.count}`;
  say(
    'archival records',
    rows.archivals.map((r) => archival({ number: r.phone_number_id, previous: r.previous_agent_id, next: r.new_agent_id, count: num(r.conversations_archived) })).sort(),
    m.archivals.map(archival).sort(),
  );
  say(
    'reply jobs',
    rows.jobs
      .map((j) => ({ conversation: j.conversation_id, upto: num(j.upto_seq), answered: num(j.answered_seq), claimed: num(j.claimed_seq), epoch: num(j.epoch), held: j.leased_until !== null }))
      .sort((a, b) => String(a.conversation).localeCompare(String(b.conversation))),
    [...m.jobs.values()]
      .map((j) => ({ conversation: j.conversation, upto: j.upto, answered: j.answered, claimed: j.claimed, epoch: j.epoch, held: j.held }))
      .sort((a, b) => a.conversation.localeCompare(b.conversation)),
  );
  for (const [reply, count] of m.permits) if (count > 1) problems.push(`§8: reply ${reply} was allowed out ${count} times`);
  return problems;
}
