import type {
  Agent,
  AgentSummary,
  ApiKey,
  ArchivalRecord,
  Conversation,
  ConversationStatus,
  Message,
  MessageStatus,
  Millis,
  Org,
  PhoneNumber,
  PhoneNumberWrite,
  Platform,
  ReplyJob,
  User,
} from './model';

/**
 * Ports: what the core needs from the world. Storage adapters implement the repositories and the
 * unit of work; the composition root supplies the clock, ids, hashing and the HTML sanitizer.
 * Every repository method is async so that an adapter may do I/O.
 */

export interface Clock {
  now(): Millis;
}

export interface TokenHasher {
  /** SHA-256 of an API key token, hex. */
  hash(token: string): string;
}

export interface HtmlSanitizer {
  /** Sanitizes to the R5 allow-list and returns the safe HTML and its plain-text rendering. */
  sanitize(html: string): { html: string; text: string };
}

/** Which objects a caller may see: its org, and in the legacy dialect only one user's numbers. */
export interface Visibility {
  orgId: string;
  /** When set, only phone numbers this user owns, and agents and conversations on them. */
  ownerUserId?: string;
}

/** Sort position of a row in a keyset walk. */
export interface SortKey {
  at: number;
  id: string;
}

export type PageRequest =
  | { kind: 'offset'; limit: number; offset: number }
  | { kind: 'keyset'; limit: number; after: SortKey | null };

export interface PageResult<T> {
  items: T[];
  /** Only for offset pages. */
  total?: number;
  /** The key after which the next keyset page starts, or null on the last page. */
  next: SortKey | null;
}

export interface OrgRepository {
  insert(org: Org): Promise<void>;
  get(id: string): Promise<Org | null>;
  /** How many orgs exist: 0 on a database nobody has used yet. */
  count(): Promise<number>;
  /** Every org, newest first. */
  list(): Promise<Org[]>;
}

export interface UserRepository {
  /** Throws `validation_failed` on `email` when the email is taken. */
  insert(user: User): Promise<void>;
  get(orgId: string, id: string): Promise<User | null>;
  /** The org's users, newest first. */
  list(orgId: string): Promise<User[]>;
}

export interface ApiKeyRepository {
  insert(key: ApiKey): Promise<void>;
  get(id: string): Promise<ApiKey | null>;
  findByHash(tokenHash: string): Promise<ApiKey | null>;
  list(orgId: string): Promise<ApiKey[]>;
  /**
   * Records use: sets `last_used_at` to `at` and nothing else, only on a key that is not revoked and
   * was last used before `at`. It never writes a copy of the key back, so a revocation that
   * committed in between stays.
   */
  touch(id: string, at: Millis): Promise<void>;
  /** Sets `revoked_at` on a key that is not revoked yet; false when there was nothing to revoke. */
  revoke(id: string, at: Millis): Promise<boolean>;
}

export interface PhoneNumberFilter {
  platform?: Platform;
}

export interface PhoneNumberRepository {
  /** Throws `phone_number_exists` when a live number has the same platform and Meta id. */
  insert(phone: PhoneNumberWrite): Promise<void>;
  /** Writes the fields and, when given, the new access token. */
  update(phone: PhoneNumberWrite): Promise<void>;
  /** A live (not deleted) number visible to the caller. */
  get(visibility: Visibility, id: string): Promise<PhoneNumber | null>;
  /** The live number with this platform and Meta id, in any org. */
  findByMeta(platform: Platform, metaPhoneNumberId: string): Promise<PhoneNumber | null>;
  /** Newest first. */
  list(visibility: Visibility, filter: PhoneNumberFilter, page: PageRequest): Promise<PageResult<PhoneNumber>>;
  /** A live number by id, in any org (the reply worker's view). */
  byId(id: string): Promise<PhoneNumber | null>;
  /** The live number's access token, decrypted; null when it has none. Only a send asks for it. */
  accessToken(id: string): Promise<string | null>;
}

export interface AgentFilter {
  phoneNumberId?: string;
}

export interface AgentRepository {
  /**
   * Throws `agent_id_taken` when the id exists, `phone_number_in_use` when another active agent holds
   * the number (R1), `agent_handle_taken` when a live agent of the org has the handle (R4).
   */
  insert(agent: Agent): Promise<void>;
  /** Same constraint errors as insert. */
  update(agent: Agent): Promise<void>;
  /** A live (not deleted) agent visible to the caller. */
  get(visibility: Visibility, id: string): Promise<Agent | null>;
  /** Whether any agent, deleted or not, in any org, has this id. */
  idExists(id: string): Promise<boolean>;
  /** Newest first, live agents only, as summaries (a page never carries instruction texts). */
  list(visibility: Visibility, filter: AgentFilter, page: PageRequest): Promise<PageResult<AgentSummary>>;
  /** The active agent on a number, if any. */
  activeOnPhoneNumber(phoneNumberId: string): Promise<Agent | null>;
  countLive(orgId: string): Promise<number>;
  /** Lower-cased handles of the org's live agents that start with `prefix` (case-insensitive). */
  handlesWithPrefix(orgId: string, prefix: string): Promise<string[]>;
  /** Which of these ids are live agents of the org. */
  liveIds(orgId: string, ids: readonly string[]): Promise<string[]>;
  /** The hand-off graph of the org's live agents: agent id → sub-agent ids. */
  subAgentGraph(orgId: string): Promise<Map<string, string[]>>;
}

export interface ConversationFilter {
  agentId?: string;
  phoneNumberId?: string;
  status?: ConversationStatus;
}

export interface ArchivedGroup {
  /** null for conversations that had no agent. */
  agentId: string | null;
  count: number;
}

export interface ConversationRepository {
  insert(conversation: Conversation): Promise<void>;
  /**
   * Counts one more message on the conversation, as one targeted update (message_count + 1,
   * last_message_at and updated_at = `at`), and returns the new count: the message's `seq`. It does
   * not touch status or agent, so it never undoes an archival that committed since the conversation
   * was read.
   */
  recordMessage(conversationId: string, at: Millis): Promise<number>;
  get(visibility: Visibility, id: string): Promise<Conversation | null>;
  /** The customer's active conversation on a number. */
  findActive(phoneNumberId: string, customerId: string): Promise<Conversation | null>;
  /** Latest activity first. */
  list(visibility: Visibility, filter: ConversationFilter, page: PageRequest): Promise<PageResult<Conversation>>;
  /**
   * R2: archives every active conversation on the number that belongs to an agent other than
   * `keepAgentId` (or to no agent), and says how many of each agent it archived.
   */
  archiveOthers(phoneNumberId: string, keepAgentId: string, at: Millis, reason: string): Promise<ArchivedGroup[]>;
}

export interface MessageRepository {
  /** Returns false, and writes nothing, when the number already stored this platform message id. */
  insert(message: Message): Promise<boolean>;
  /** Whether the number already stored this platform message id. */
  seen(phoneNumberId: string, platformMessageId: string): Promise<boolean>;
  /** Oldest first. */
  list(conversationId: string, page: PageRequest): Promise<PageResult<Message>>;
  get(id: string): Promise<Message | null>;
  /** The conversation's latest `limit` messages, oldest first. */
  latest(conversationId: string, limit: number): Promise<Message[]>;
  /** The conversation's replies still `pending`, oldest first. */
  pending(conversationId: string): Promise<Message[]>;
  /** The message a status callback names: by the number and Meta's id of the message. */
  findByPlatformId(phoneNumberId: string, platformMessageId: string): Promise<Message | null>;
  /**
   * Compare-and-set of a message's delivery state: writes `to` (and `failureReason`, and
   * `platformMessageId` when given and none is stored yet) only while the stored status and reason
   * still equal `from`. Returns whether it wrote.
   */
  setStatus(
    id: string,
    from: { status: MessageStatus; failureReason: string | null },
    to: { status: MessageStatus; failureReason: string | null; platformMessageId?: string },
  ): Promise<boolean>;
}

/** What {@link ReplyJobRepository.enqueue} records: one customer message to answer. */
export interface ReplyEnqueue {
  conversationId: string;
  orgId: string;
  phoneNumberId: string;
  seq: number;
  at: Millis;
  debounceMs: number;
  maxWaitMs: number;
}

export type ReplyFinish = 'done' | 'again' | 'lost';

/**
 * The reply queue (§8): one {@link ReplyJob} per conversation, so one turn per conversation runs at a
 * time. Every method but `enqueue`, `claim`, `get` and `depth` is fenced by the epoch of a claim: it
 * writes nothing (and says so) when a later claim has taken the job.
 */
export interface ReplyJobRepository {
  /**
   * A customer message to answer. No job yet: one is created, due after the debounce, with its
   * deadline `maxWaitMs` away. A job nobody holds: `uptoSeq` rises and the due time moves to the
   * debounce after this message, never past the deadline. A job being answered: `uptoSeq` rises,
   * and the due time and deadline are set for the next turn (the deadline from the first message
   * that arrived during this one).
   */
  enqueue(input: ReplyEnqueue): Promise<void>;
  /**
   * Takes up to `limit` jobs due at `at` whose lease is free or expired, earliest due first,
   * skipping jobs of `skipOrgIds`; each gets `epoch + 1`, `claimedSeq = uptoSeq`, `attempts + 1` and
   * a lease until `leaseUntil`. Jobs another transaction is taking are skipped, never waited for.
   */
  claim(at: Millis, leaseUntil: Millis, limit: number, skipOrgIds: readonly string[]): Promise<ReplyJob[]>;
  get(conversationId: string): Promise<ReplyJob | null>;
  /** The job while `epoch` holds it (no later claim), else null. */
  held(conversationId: string, epoch: number): Promise<ReplyJob | null>;
  /** Extends the lease of `epoch`. */
  renew(conversationId: string, epoch: number, leaseUntil: Millis): Promise<boolean>;
  /** A reply answering `claimedSeq` is stored: `answeredSeq = claimedSeq`. */
  markAnswered(conversationId: string, epoch: number, at: Millis): Promise<boolean>;
  /**
   * Ends the turn of `epoch`: the job is deleted when every waiting message is answered
   * (`answeredSeq >= uptoSeq`: `done`); otherwise its lease is freed and the next turn waits for the
   * due time `enqueue` set (`again`). `lost` when a later claim holds it.
   */
  finish(conversationId: string, epoch: number, at: Millis): Promise<ReplyFinish>;
  /** Drops the job of `epoch` whatever waits in it (the agent no longer answers this conversation). */
  drop(conversationId: string, epoch: number): Promise<boolean>;
  /** Hands the job of `epoch` back unanswered: the lease is freed and it is due at `at`. */
  release(conversationId: string, epoch: number, at: Millis): Promise<boolean>;
  /** How many jobs are due (`dueAt <= at`, nobody holds them), waiting (not due yet) and held. */
  depth(at: Millis): Promise<{ due: number; waiting: number; held: number }>;
}

export interface ArchivalRepository {
  insert(record: ArchivalRecord): Promise<void>;
  listByPhoneNumber(phoneNumberId: string): Promise<ArchivalRecord[]>;
}

/** A stored response for an Idempotency-Key, scoped to one API key. */
export interface IdempotencyRecord {
  keyId: string;
  idempotencyKey: string;
  fingerprint: string;
  /** null while the first request is still running. */
  status: number | null;
  body: string | null;
  lockedAt: Millis;
  createdAt: Millis;
  expiresAt: Millis;
}

export type ClaimResult =
  | { outcome: 'claimed'; fence: Millis }
  | { outcome: 'replay'; record: IdempotencyRecord }
  | { outcome: 'mismatch' }
  | { outcome: 'in_flight' };

export interface IdempotencyRepository {
  /**
   * Claims a key for a new request, or says why not. A record past its expiry, or a lock older than
   * `staleBefore`, is taken over.
   */
  claim(record: IdempotencyRecord, staleBefore: Millis): Promise<ClaimResult>;
  /**
   * Stores the response of the claim whose `fence` (its `lockedAt`) is given; called inside the
   * transaction of the write it describes. Returns false, writing nothing, when that claim no
   * longer holds the key (it was taken over as abandoned): the caller must then roll its write back.
   */
  complete(keyId: string, idempotencyKey: string, fence: Millis, status: number, body: string): Promise<boolean>;
  /** Releases the claim with this fence when it did not end in a stored response; a claim taken over since is left alone. */
  release(keyId: string, idempotencyKey: string, fence: Millis): Promise<void>;
  /** Deletes records expired before `at`; returns how many. */
  purgeExpired(at: Millis): Promise<number>;
}

/**
 * Named locks, held until the transaction ends. A write that decides on what it read (a count, a
 * free handle, the hand-off graph, the number's active agent, a conversation's state) takes the
 * lock that covers the decision first, so two such writes never both decide on the same snapshot:
 * every agent write takes its org's lock, and every write that touches a number's conversations
 * takes the number's lock. Lock order: org, then number. Where one writer already runs writes one
 * at a time (SQLite, the in-memory fake) these are no-ops; PostgreSQL locks the row
 * (`SELECT … FOR UPDATE`).
 */
export interface Locks {
  org(orgId: string): Promise<void>;
  phoneNumber(phoneNumberId: string): Promise<void>;
}

export interface Repositories {
  locks: Locks;
  orgs: OrgRepository;
  users: UserRepository;
  apiKeys: ApiKeyRepository;
  phoneNumbers: PhoneNumberRepository;
  agents: AgentRepository;
  conversations: ConversationRepository;
  messages: MessageRepository;
  archivals: ArchivalRepository;
  idempotency: IdempotencyRepository;
  replyJobs: ReplyJobRepository;
}

/**
 * The unit of work. `write` runs its callback in one transaction: every repository call inside it
 * commits together or not at all. Isolation is stated, not inherited from a driver: other writes
 * may run at the same time (READ COMMITTED on PostgreSQL), so a callback that decides on what it
 * read takes the named lock covering the decision first ({@link Locks}), and updates are targeted
 * (never a whole row written back from a copy read before the lock). An adapter may run the
 * callback again after a serialization failure or deadlock, so it must have no effect outside its
 * repositories. The callback must only await repository calls (the SQLite adapter relies on it).
 * `read` sees committed data only, in one snapshot. Storage failures surface as `StorageError`.
 *
 * A use case that writes does so in exactly one `write` and returns what that write returns: the
 * HTTP layer may wrap the unit of work to store the rendered response of an idempotent request in
 * the same transaction.
 */
export interface UnitOfWork {
  read<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  write<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
}
