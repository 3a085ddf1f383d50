import { z } from '@hono/zod-openapi';
import { errorHeaders, METHOD_NOT_ALLOWED, successHeaders } from './openapi';
import { MESSAGE_STATUSES } from '@gateway/core';

/**
 * Request and response schemas shared by the legacy routes. Request schemas only check shapes and
 * types, with messages that name the field; the rules themselves (R4–R12) belong to the core, and
 * so do their messages. The document states those rules all the same, as OpenAPI metadata taken
 * from the core's constants (`.openapi({ pattern: PROMPT_ID_PATTERN.source })`), which zod does
 * not enforce: a client validates what the server validates, and the message it gets for a broken
 * rule stays the core's (`Invalid prompt_id`).
 */

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

/** A string the client must send: missing or null is `<field> is required`. */
export const requiredString = (field: string) =>
  z.string({ error: (issue) => (issue.input === undefined || issue.input === null ? `${field} is required` : `${field} must be a string`) });

/** A string the client may leave out; null is not a string. */
export const optionalString = (field: string) => z.string({ error: `${field} must be a string` }).optional();

/** A string the client may leave out or set to null. */
export const optionalNullableString = (field: string) => z.string({ error: `${field} must be a string or null` }).nullable().optional();

/** A JSON object body; unknown fields are dropped (the legacy dialect ignores them). */
export const body = <Shape extends z.ZodRawShape>(shape: Shape) => z.object(shape, { error: 'Request body must be a JSON object' });

const limitMessage = `limit must be an integer between 1 and ${MAX_LIMIT}`;
const offsetMessage = 'offset must be an integer of at least 0';

export const pageQuery = {
  limit: z.coerce
    .number({ error: limitMessage })
    .int({ error: limitMessage })
    .min(1, { error: limitMessage })
    .max(MAX_LIMIT, { error: limitMessage })
    .default(DEFAULT_LIMIT)
    .openapi({ param: { name: 'limit', in: 'query' }, description: `1–${MAX_LIMIT}`, example: DEFAULT_LIMIT }),
  offset: z.coerce
    .number({ error: offsetMessage })
    .int({ error: offsetMessage })
    .min(0, { error: offsetMessage })
    .default(0)
    .openapi({ param: { name: 'offset', in: 'query' }, type: 'integer', minimum: 0, example: 0 }),
};

/** An optional query filter that names an id. */
export const idFilter = (name: string) =>
  z.string({ error: `${name} must be a single value` }).optional().openapi({ param: { name, in: 'query' } });

/** An optional query filter restricted to a few words. */
export const enumFilter = <const T extends readonly [string, ...string[]]>(name: string, values: T) =>
  z.enum(values, { error: `${name} must be one of ${values.join(', ')}` }).optional().openapi({ param: { name, in: 'query' } });

/**
 * A path id. It has no example: the reference page would fill it in, and no example id exists in
 * the reader's gateway, so a "Test request" would only ever answer 404.
 */
export const pathParam = (name: string, description: string) =>
  z.string().min(1).openapi({ param: { name, in: 'path', description } });

export const UserParams = z.object({ user_id: pathParam('user_id', 'The user (`usr_…`) whose agents, numbers and conversations these are.') });

/** Not blank: at least one character that is not whitespace (a value the core trims must keep one). */
export const NOT_BLANK = '\\S';

/**
 * OpenAPI metadata of a body that must name at least one of `fields`: `minProperties` and an
 * `allOf`/`anyOf` of the alternatives, which generated clients type as a union. The route's zod
 * refinement keeps the message.
 */
type JsonType = 'string' | 'null';

export function atLeastOneOf(fields: Record<string, { type: JsonType | JsonType[] }>) {
  return {
    minProperties: 1,
    allOf: [{ anyOf: Object.entries(fields).map(([field, schema]) => ({ required: [field], properties: { [field]: schema } })) }],
  };
}

/** Legacy timestamps: UTC, to the second. */
const Timestamp = z.string().openapi({ example: '2025-02-10T10:00:00Z' });

export const ErrorBody = z
  .object({
    error: z.string().openapi({ example: 'Validation error' }),
    message: z.string().openapi({ example: 'prompt_id is required' }),
    correlation_id: z.string().openapi({ example: 'req_abc123' }),
    timestamp: Timestamp,
  })
  .openapi('Error');

export const Pagination = z
  .object({ total: z.number().int(), limit: z.number().int(), offset: z.number().int(), has_more: z.boolean() })
  .openapi('Pagination');

export const Agent = z
  .object({
    agent_id: z.string().openapi({ example: 'agent_67a9cd80a1b2c3d4e5f60718' }),
    user_id: z.string().openapi({ example: 'usr_abc123' }),
    phone_number_id: z.string().nullable().openapi({ example: 'pn_abc123' }),
    prompt_id: z.string().nullable().openapi({ example: 'prompt_xyz789' }),
    name: z.string().openapi({ example: 'Customer Support Agent' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Agent');

export const PhoneNumber = z
  .object({
    id: z.string().openapi({ example: 'pn_abc123' }),
    user_id: z.string(),
    platform: z.enum(['whatsapp', 'instagram']),
    meta_phone_number_id: z.string().openapi({ example: '106540352242922' }),
    display_name: z.string().nullable(),
    waba_id: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('PhoneNumber');

export const Conversation = z
  .object({
    conversation_id: z.string(),
    agent_id: z.string().nullable().openapi({ description: 'null for messages that reached the number while it had no active agent.' }),
    phone_number_id: z.string(),
    customer_id: z.string(),
    status: z.enum(['active', 'archived']),
    archived_at: Timestamp.nullable(),
    message_count: z.number().int(),
    last_message_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .openapi('Conversation');

export const Message = z
  .object({
    message_id: z.string(),
    conversation_id: z.string(),
    sender: z.enum(['user', 'agent']),
    text: z.string(),
    status: z.enum(MESSAGE_STATUSES).openapi({ description: "Where the message stands. `received`: a customer's message. Replies: `pending` (stored, not yet accepted by Meta), `sent` (Meta accepted it), `delivered` and `read` (from Meta's status callbacks), `failed` (see `failure_reason`)." }),
    failure_reason: z.string().nullable().openapi({ description: "Why a reply failed, null unless `status` is `failed`: the model's or Meta's error with its code (`model API 400 invalid_prompt`, `meta 131047 (HTTP 400): …`), `interrupted` (a send whose outcome a crash or a lost answer made unknown; a later status callback from Meta can still settle it), `outside_window` (more than 24 hours after the customer's last message), or `agent_unavailable` (the agent stopped answering the conversation before the send)." }),
    created_at: Timestamp,
  })
  .openapi('Message');

const errorResponse = (status: number, description: string) => ({
  description,
  headers: errorHeaders(status),
  content: { 'application/json': { schema: ErrorBody } },
});

/** The errors every authenticated legacy route can answer. */
export const commonErrors = {
  400: errorResponse(400, 'Validation error: a field, a query parameter, the JSON or the Idempotency-Key is wrong'),
  401: errorResponse(401, 'Unauthorized: missing, unknown, revoked or expired API key'),
  403: errorResponse(403, 'Forbidden: the key lacks the scope'),
  404: errorResponse(404, 'Not Found: the user (or the object) is not visible to this key, or no route has this path'),
  405: METHOD_NOT_ALLOWED,
  429: errorResponse(429, 'Too Many Requests: retry after Retry-After seconds'),
  500: errorResponse(500, 'Internal Server Error'),
  503: errorResponse(503, 'Service Unavailable: the database is busy for a moment; retry after Retry-After seconds'),
} as const;

/** The errors only a route with a JSON body can answer. */
export const bodyErrors = {
  413: errorResponse(413, 'Payload Too Large: more than 1 MiB'),
  415: errorResponse(415, 'Unsupported Media Type: the body must be application/json'),
} as const;

export const conflict = (description: string) => ({ 409: errorResponse(409, description) });

/** A success; `replayable` for a POST or PATCH, whose answer an Idempotency-Key may replay. */
export const json = <T extends z.ZodType>(schema: T, description: string, options: { replayable?: boolean } = {}) => ({
  description,
  headers: successHeaders(options.replayable ?? false),
  content: { 'application/json': { schema } },
});
