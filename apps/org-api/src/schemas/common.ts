import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { answerJsonText, renderedJson, type GatewayEnv } from '@gateway/http';
import type { PageResult, SortKey } from '@gateway/core';
import { decodeCursor, encodeCursor, type CursorList } from '../cursor';
import { ORG_ERROR_CODES, ORG_ERROR_STATUS, type OrgErrorCode } from '../errors';
import { errorHeaders, METHOD_NOT_ALLOWED, successHeaders } from '../openapi';

/** Org timestamps: ISO 8601, UTC, with milliseconds. */
export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** Not blank: at least one character that is not whitespace (a value the core trims must keep one). */
export const NOT_BLANK = '\\S';

export const Timestamp = z.string().openapi({ format: 'date-time', example: '2026-06-24T10:42:00.000Z' });

export const MetaSchema = z.object({ request_id: z.string().openapi({ example: 'req_a0b88aa084bac0f7' }) }).openapi('Meta');
export const ListMetaSchema = z
  .object({
    request_id: z.string().openapi({ example: 'req_a0b88aa084bac0f7' }),
    next_cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page. Opaque.' }),
  })
  .openapi('ListMeta');

export const dataEnvelope = <T extends z.ZodType>(data: T) => z.object({ data, meta: MetaSchema });
export const listEnvelope = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), meta: ListMetaSchema });

export const DetailSchema = z.object({ field: z.string(), message: z.string() }).openapi('ErrorDetail');
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ORG_ERROR_CODES),
      message: z.string().openapi({ description: 'Human text; may change at any time. Switch on `code`.' }),
      request_id: z.string(),
      details: z.array(DetailSchema).optional().openapi({ description: 'Only on `validation_failed`: every problem found.' }),
    }),
  })
  .openapi('Error');

type ErrorResponse = {
  description: string;
  headers: ReturnType<typeof errorHeaders>;
  content: { 'application/json': { schema: typeof ErrorSchema } };
};

/**
 * The documented error responses of a route, grouped by status, with their headers. Every route can
 * also answer `internal_error` and, while storage is busy for a moment, `service_unavailable`; and
 * 405 `method_not_allowed` to its path under another method.
 */
export function errorResponses(...codes: OrgErrorCode[]) {
  const byStatus = new Map<number, OrgErrorCode[]>();
  for (const code of [...codes, 'internal_error' as const, 'service_unavailable' as const]) {
    const status = ORG_ERROR_STATUS[code];
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  const responses: Record<number, ErrorResponse | typeof METHOD_NOT_ALLOWED> = { 405: METHOD_NOT_ALLOWED };
  for (const [status, list] of byStatus) {
    responses[status] = {
      description: list.map((c) => `\`${c}\``).join(', '),
      headers: errorHeaders(status),
      content: { 'application/json': { schema: ErrorSchema } },
    };
  }
  return responses;
}

/** Every authenticated route can answer these. */
export const AUTH_ERRORS: OrgErrorCode[] = ['unauthorized', 'insufficient_scope', 'rate_limited'];
/** Every route that reads a JSON body can answer these too. */
export const BODY_ERRORS: OrgErrorCode[] = [
  'invalid_json',
  'unsupported_media_type',
  'payload_too_large',
  'validation_failed',
  'idempotency_key_reused',
  'idempotency_key_in_use',
];

/** A success; `replayable` for a POST or PATCH, whose answer an Idempotency-Key may replay. */
export const json = <T extends z.ZodType>(schema: T, description: string, options: { keyless?: boolean; replayable?: boolean } = {}) => ({
  description,
  headers: successHeaders(options),
  content: { 'application/json': { schema } },
});

/** `limit`: an integer from 1 to `max` written in plain digits. */
export const limitParam = (defaultLimit: number, max = 100) =>
  z
    .preprocess((v) => (typeof v === 'string' && /^[0-9]{1,6}$/.test(v) ? Number(v) : v), z.number().int().min(1).max(max))
    .optional()
    .openapi({ param: { name: 'limit', in: 'query' }, type: 'integer', minimum: 1, maximum: max, default: defaultLimit });

/** `cursor`: a `meta.next_cursor` this list handed out; anything else is 422. */
export const cursorParam = (list: CursorList) =>
  z
    .string()
    .transform((value, ctx): SortKey => {
      const key = decodeCursor(list, value);
      if (key === null) {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor of this list' });
        return z.NEVER;
      }
      return key;
    })
    .optional()
    .openapi({ param: { name: 'cursor', in: 'query' }, type: 'string', description: '`meta.next_cursor` of the previous page. Opaque.' });

const okMeta = (c: Context<GatewayEnv>) => ({ request_id: c.get('requestId') });
/** `next_cursor` is null on the last page. */
const pageMeta = (c: Context<GatewayEnv>, list: CursorList, result: PageResult<unknown>) => ({
  request_id: c.get('requestId'),
  next_cursor: result.next === null ? null : encodeCursor(list, result.next),
});

/** Success envelope of one object. */
export const ok = <T>(c: Context<GatewayEnv>, data: T) => ({ data, meta: okMeta(c) });

/** Success envelope of a page. */
export const page = <T, U>(c: Context<GatewayEnv>, list: CursorList, result: PageResult<T>, render: (item: T) => U) => ({
  data: result.items.map(render),
  meta: pageMeta(c, list, result),
});

/**
 * `answerJson(c, ok(c, render(item)), 200)`, byte for byte, with the item's JSON kept for items the
 * storage shares between reads (`renderedJson`).
 */
export const answerOk = <T extends object, U>(c: Context<GatewayEnv>, item: T, render: (item: T) => U) =>
  answerJsonText<ReturnType<typeof ok<U>>, 200>(c, `{"data":${renderedJson(item, render)},"meta":${JSON.stringify(okMeta(c))}}`, 200);

/** `answerJson(c, page(c, list, result, render), 200)`, byte for byte, each item's JSON kept as `answerOk` keeps it. */
export const answerPage = <T extends object, U>(c: Context<GatewayEnv>, list: CursorList, result: PageResult<T>, render: (item: T) => U) => {
  const items = result.items.map((item) => renderedJson(item, render)).join(',');
  return answerJsonText<ReturnType<typeof page<T, U>>, 200>(c, `{"data":[${items}],"meta":${JSON.stringify(pageMeta(c, list, result))}}`, 200);
};

/** Path ids: an optional `{id}` that matches anything, so a malformed id is a 404, never a 422. */
export const pathId = (description: string) => z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, description }) });
