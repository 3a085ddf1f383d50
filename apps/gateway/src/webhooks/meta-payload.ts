import type { DeliveryStatus, InboundMessage } from '@gateway/core';
import { isStorableText } from '@gateway/http';

/**
 * Pure parsing of Meta webhook deliveries (WhatsApp Cloud API and Instagram messaging) into the
 * core's `InboundMessage`s and `DeliveryStatus`es. No HTTP, no I/O, no clock: the same JSON always gives the same result.
 *
 * Everything in a delivery that is not a customer's message is returned as an ignored item with a
 * reason, so the caller can acknowledge it and log what it skipped. Ignored items never carry
 * message text or customer ids (they end up in logs).
 */

export type IgnoredReason =
  /** A WhatsApp `statuses[]` entry of a kind the gateway does not track (sent, delivered, read and failed are parsed into `statuses`). */
  | 'status'
  /** Instagram echo of a message the business sent (`is_echo: true`, or sent by the account itself). */
  | 'echo'
  /** An `object` other than `whatsapp_business_account` and `instagram`. */
  | 'unsupported_object'
  /** A `changes[].field` other than `messages` (account updates, template status, …). */
  | 'unsupported_field'
  /** An Instagram event that is not a message (reads, reactions, postbacks, edits, …). */
  | 'unsupported_event'
  /** A message the customer deleted (Instagram `is_deleted`). */
  | 'deleted'
  /** A WhatsApp `system` message (e.g. the customer changed number): not written by the customer. */
  | 'system'
  /**
   * Something shaped unlike Meta's documented deliveries (a required field missing or of the wrong
   * type), or a message holding a string that is not Unicode text (a lone surrogate), which cannot
   * be stored as it was sent.
   */
  | 'malformed';

export interface IgnoredItem {
  reason: IgnoredReason;
  /** Where in the delivery, as a path: `entry[0].changes[1].value.statuses[0]`. */
  at: string;
  /** A short, log-safe description: no message text, no customer ids. */
  detail: string;
}

export interface ParsedDelivery {
  /** The delivery's `object`, when it is a string. */
  object: string | null;
  /** Customer messages, in the order of the delivery. */
  messages: InboundMessage[];
  /** Delivery statuses of the business's own messages (WhatsApp `statuses[]`, Instagram `read` events), in order. */
  statuses: DeliveryStatus[];
  ignored: IgnoredItem[];
}

export const WHATSAPP_OBJECT = 'whatsapp_business_account';
export const INSTAGRAM_OBJECT = 'instagram';

/** Meta ids and message ids are short; anything longer is not a real one. */
const MAX_ID_LENGTH = 512;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A lone UTF-16 surrogate (`"\ud800"` in the JSON) would read back as something else once stored,
 * and a NUL cannot be stored on PostgreSQL at all: a message holding either is not stored.
 */
const isUnicodeText = isStorableText;

/** Whether every string in a JSON value, field names included, is Unicode text (no recursion: deliveries nest arbitrarily). */
function unicodeThroughout(value: unknown): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current === 'string') {
      if (!isUnicodeText(current)) return false;
    } else if (Array.isArray(current)) {
      for (const item of current) stack.push(item);
    } else if (isObject(current)) {
      for (const [key, item] of Object.entries(current)) {
        if (!isUnicodeText(key)) return false;
        stack.push(item);
      }
    }
  }
  return true;
}

const idOf = (value: unknown): string | null => {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH && isUnicodeText(value) ? value : null;
};

const NOT_UNICODE = 'message holds text that is not valid Unicode';

const textOf = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Non-empty text trimmed of surrounding white space, or null. */
const labelOf = (value: unknown): string | null => {
  const text = textOf(value)?.trim();
  return text ? text : null;
};

/** `[image]`, or `[image] caption` when the content came with words of its own. */
export function placeholder(type: string, ...extras: (string | null)[]): string {
  const words = extras.filter((extra): extra is string => extra !== null);
  return words.length === 0 ? `[${type}]` : `[${type}] ${words.join(' ')}`;
}

const arrayAt = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Parses one delivery (the JSON body of a webhook POST, already parsed). */
export function parseMetaDelivery(delivery: unknown): ParsedDelivery {
  const out: ParsedDelivery = { object: null, messages: [], statuses: [], ignored: [] };
  if (!isObject(delivery)) {
    out.ignored.push({ reason: 'malformed', at: '$', detail: 'delivery is not a JSON object' });
    return out;
  }
  const object = typeof delivery.object === 'string' ? delivery.object : null;
  out.object = object;
  if (object !== WHATSAPP_OBJECT && object !== INSTAGRAM_OBJECT) {
    out.ignored.push({ reason: 'unsupported_object', at: 'object', detail: object === null ? 'object is missing' : `object ${clip(object)}` });
    return out;
  }
  if (!Array.isArray(delivery.entry)) {
    out.ignored.push({ reason: 'malformed', at: 'entry', detail: 'entry is not an array' });
    return out;
  }
  delivery.entry.forEach((entry, index) => {
    const at = `entry[${index}]`;
    if (!isObject(entry)) {
      out.ignored.push({ reason: 'malformed', at, detail: 'entry is not an object' });
    } else if (object === WHATSAPP_OBJECT) {
      parseWhatsAppEntry(entry, at, out);
    } else {
      parseInstagramEntry(entry, at, out);
    }
  });
  return out;
}

/** Values Meta chose are echoed into logs only in short form. */
function clip(value: string): string {
  return value.length <= 64 ? value : `${value.slice(0, 64)}…`;
}

// ---------------------------------------------------------------------------------------------
// WhatsApp: entry[] { id: WABA id, changes[] { field: "messages", value { metadata, contacts,
// messages[], statuses[] } } }

function parseWhatsAppEntry(entry: Json, at: string, out: ParsedDelivery): void {
  if (!Array.isArray(entry.changes)) {
    out.ignored.push({ reason: 'malformed', at: `${at}.changes`, detail: 'changes is not an array' });
    return;
  }
  entry.changes.forEach((change, index) => {
    const changeAt = `${at}.changes[${index}]`;
    if (!isObject(change)) {
      out.ignored.push({ reason: 'malformed', at: changeAt, detail: 'change is not an object' });
      return;
    }
    if (change.field !== 'messages') {
      const field = typeof change.field === 'string' ? clip(change.field) : 'missing';
      out.ignored.push({ reason: 'unsupported_field', at: `${changeAt}.field`, detail: `field ${field}` });
      return;
    }
    parseWhatsAppValue(change.value, `${changeAt}.value`, out);
  });
}

function parseWhatsAppValue(value: unknown, at: string, out: ParsedDelivery): void {
  if (!isObject(value)) {
    out.ignored.push({ reason: 'malformed', at, detail: 'value is not an object' });
    return;
  }
  const metaPhoneNumberId = isObject(value.metadata) ? idOf(value.metadata.phone_number_id) : null;
  arrayAt(value.statuses).forEach((status, index) => {
    const statusAt = `${at}.statuses[${index}]`;
    const parsed = parseWhatsAppStatus(status);
    if (typeof parsed === 'string') {
      out.ignored.push({ reason: 'status', at: statusAt, detail: parsed });
    } else if (metaPhoneNumberId === null) {
      out.ignored.push({ reason: 'malformed', at: statusAt, detail: 'metadata.phone_number_id is missing' });
    } else {
      out.statuses.push({ platform: 'whatsapp', metaPhoneNumberId, ...parsed });
    }
  });
  const messages = arrayAt(value.messages);
  if (messages.length === 0) return;
  if (metaPhoneNumberId === null) {
    messages.forEach((_, index) =>
      out.ignored.push({ reason: 'malformed', at: `${at}.messages[${index}]`, detail: 'metadata.phone_number_id is missing' }),
    );
    return;
  }
  messages.forEach((message, index) => {
    const messageAt = `${at}.messages[${index}]`;
    const parsed = parseWhatsAppMessage(message);
    if ('reason' in parsed) {
      out.ignored.push({ ...parsed, at: messageAt });
      return;
    }
    out.messages.push({ platform: 'whatsapp', metaPhoneNumberId, ...parsed });
  });
}

const DELIVERY_STATES = new Set(['sent', 'delivered', 'read', 'failed']);

/**
 * One `statuses[]` entry: `{id, status, recipient_id, biz_opaque_callback_data?, errors?}`, or a short
 * log-safe reason it is not one the gateway tracks (`deleted`, `warning`, other kinds).
 */
function parseWhatsAppStatus(status: unknown): Omit<DeliveryStatus, 'platform' | 'metaPhoneNumberId'> | string {
  if (!isObject(status) || typeof status.status !== 'string') return 'status without a kind';
  if (!DELIVERY_STATES.has(status.status)) return `status ${clip(status.status)}`;
  const platformMessageId = idOf(status.id);
  if (platformMessageId === null) return `status ${status.status} without a message id`;
  const callbackData = idOf(status.biz_opaque_callback_data);
  return {
    platformMessageId,
    status: status.status as DeliveryStatus['status'],
    failureReason: status.status === 'failed' ? metaFailure(status.errors) : null,
    callbackData,
  };
}

/** Meta's error of a failed status as a reason: `meta 131047: Re-engagement message`, at most 300 characters. */
function metaFailure(errors: unknown): string {
  const first = arrayAt(errors)[0];
  if (!isObject(first)) return 'meta: failed';
  const code = typeof first.code === 'number' || typeof first.code === 'string' ? String(first.code).slice(0, 16) : null;
  const title = [first.title, first.message].find((t): t is string => typeof t === 'string' && isUnicodeText(t)) ?? null;
  const reason = `meta${code ? ` ${code}` : ''}${title ? `: ${title}` : ': failed'}`;
  return reason.length <= 300 ? reason : `${reason.slice(0, 299)}…`;
}

type Parsed = Omit<InboundMessage, 'platform' | 'metaPhoneNumberId'> | Omit<IgnoredItem, 'at'>;

/** WhatsApp types whose object may carry a `caption`. */
const CAPTIONED = new Set(['image', 'video', 'document', 'sticker']);

function parseWhatsAppMessage(message: unknown): Parsed {
  if (!isObject(message)) return { reason: 'malformed', detail: 'message is not an object' };
  if (!unicodeThroughout(message)) return { reason: 'malformed', detail: NOT_UNICODE };
  const platformMessageId = idOf(message.id);
  const customerId = idOf(message.from);
  const type = typeof message.type === 'string' && /^[a-z_]{1,64}$/.test(message.type) ? message.type : null;
  if (platformMessageId === null) return { reason: 'malformed', detail: 'message id is missing' };
  if (customerId === null) return { reason: 'malformed', detail: 'message from is missing' };
  if (type === null) return { reason: 'malformed', detail: 'message type is missing' };
  const base = { customerId, platformMessageId, type };
  const content = isObject(message[type]) ? (message[type] as Json) : {};
  switch (type) {
    case 'text': {
      const body = isObject(message.text) ? textOf(message.text.body) : null;
      if (body === null) return { reason: 'malformed', detail: 'text message without text.body' };
      return { ...base, text: body };
    }
    case 'system':
      return { reason: 'system', detail: 'system message' };
    case 'interactive':
      return { ...base, text: placeholder(type, interactiveReply(content)) };
    case 'button':
      return { ...base, text: placeholder(type, labelOf(content.text)) };
    case 'reaction':
      return { ...base, text: placeholder(type, labelOf(content.emoji)) };
    case 'location': {
      const place = [labelOf(content.name), labelOf(content.address)].filter((part) => part !== null).join(', ');
      return { ...base, text: placeholder(type, place === '' ? null : place) };
    }
    default:
      return { ...base, text: placeholder(type, CAPTIONED.has(type) ? labelOf(content.caption) : null) };
  }
}

/** The title of the button or list row the customer picked. */
function interactiveReply(interactive: Json): string | null {
  for (const key of ['button_reply', 'list_reply']) {
    const reply = interactive[key];
    if (isObject(reply)) return labelOf(reply.title);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Instagram: entry[] { id: IGID, time, messaging[] { sender, recipient, timestamp, message } },
// or entry[] { id, changes[] { field: "messages", value { sender, recipient, timestamp, message } } }

function parseInstagramEntry(entry: Json, at: string, out: ParsedDelivery): void {
  const accountId = idOf(entry.id);
  const hasMessaging = Array.isArray(entry.messaging);
  const hasChanges = Array.isArray(entry.changes);
  if (!hasMessaging && !hasChanges) {
    out.ignored.push({ reason: 'malformed', at, detail: 'entry has neither messaging nor changes' });
    return;
  }
  arrayAt(entry.messaging).forEach((event, index) => parseInstagramEvent(event, accountId, `${at}.messaging[${index}]`, out));
  arrayAt(entry.changes).forEach((change, index) => {
    const changeAt = `${at}.changes[${index}]`;
    if (!isObject(change)) {
      out.ignored.push({ reason: 'malformed', at: changeAt, detail: 'change is not an object' });
    } else if (change.field !== 'messages') {
      const field = typeof change.field === 'string' ? clip(change.field) : 'missing';
      out.ignored.push({ reason: 'unsupported_field', at: `${changeAt}.field`, detail: `field ${field}` });
    } else {
      parseInstagramEvent(change.value, accountId, `${changeAt}.value`, out);
    }
  });
}

function parseInstagramEvent(event: unknown, accountId: string | null, at: string, out: ParsedDelivery): void {
  if (!isObject(event)) {
    out.ignored.push({ reason: 'malformed', at, detail: 'event is not an object' });
    return;
  }
  const message = event.message;
  if (isObject(event.read) && !isObject(message)) {
    // The customer read the business's messages up to `read.mid`: that reply is `read`.
    const mid = idOf(event.read.mid);
    const business = (isObject(event.recipient) ? idOf(event.recipient.id) : null) ?? accountId;
    if (mid === null || business === null) {
      out.ignored.push({ reason: 'malformed', at, detail: 'read event without read.mid or recipient.id' });
    } else {
      out.statuses.push({ platform: 'instagram', metaPhoneNumberId: business, platformMessageId: mid, status: 'read', failureReason: null, callbackData: null });
    }
    return;
  }
  if (!isObject(message)) {
    const kind = Object.keys(event).find((key) => !['sender', 'recipient', 'timestamp'].includes(key)) ?? 'empty';
    out.ignored.push({ reason: 'unsupported_event', at, detail: `event ${clip(kind)}` });
    return;
  }
  const senderId = isObject(event.sender) ? idOf(event.sender.id) : null;
  const recipientId = isObject(event.recipient) ? idOf(event.recipient.id) : null;
  // An echo is the business's own message coming back: flagged, or sent by the account itself.
  if (message.is_echo === true || (senderId !== null && senderId === accountId)) {
    out.ignored.push({ reason: 'echo', at, detail: 'echo of a message the business sent' });
    return;
  }
  if (message.is_deleted === true) {
    out.ignored.push({ reason: 'deleted', at, detail: 'the customer deleted a message' });
    return;
  }
  const platformMessageId = idOf(message.mid);
  const metaPhoneNumberId = recipientId ?? accountId;
  if (platformMessageId === null) {
    out.ignored.push({ reason: 'malformed', at, detail: 'message.mid is missing' });
    return;
  }
  if (senderId === null) {
    out.ignored.push({ reason: 'malformed', at, detail: 'sender.id is missing' });
    return;
  }
  if (metaPhoneNumberId === null) {
    out.ignored.push({ reason: 'malformed', at, detail: 'recipient.id is missing' });
    return;
  }
  if (!unicodeThroughout(event)) {
    out.ignored.push({ reason: 'malformed', at, detail: NOT_UNICODE });
    return;
  }
  const base = { platform: 'instagram' as const, metaPhoneNumberId, customerId: senderId, platformMessageId };
  const text = textOf(message.text);
  const attachments = arrayAt(message.attachments).filter(isObject);
  if (text !== null && attachments.length === 0) {
    out.messages.push({ ...base, type: 'text', text });
    return;
  }
  if (attachments.length > 0) {
    const types = attachments.map((attachment) =>
      typeof attachment.type === 'string' && /^[a-z_]{1,64}$/.test(attachment.type) ? attachment.type : 'attachment',
    );
    const type = types.every((t) => t === types[0]) ? (types[0] ?? 'attachment') : 'attachment';
    out.messages.push({ ...base, type, text: placeholder(type, labelOf(text)) });
    return;
  }
  if (message.is_unsupported === true) {
    out.messages.push({ ...base, type: 'unsupported', text: placeholder('unsupported') });
    return;
  }
  out.ignored.push({ reason: 'malformed', at, detail: 'message has neither text nor attachments' });
}
