import { Validator } from '@seriousme/openapi-schema-validator';
import type { ZodType } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEY_PATTERN, SCOPES, type Scope } from '@gateway/core';
import { createTestGateway, type TestGateway } from '@gateway/http/testing';
import { createLegacyApp } from '@gateway/legacy-api';
import { createOrgApp } from '@gateway/org-api';
import { createGatewayApp } from '../src/app';
import { capturingLogger } from './helpers';

/**
 * The OpenAPI documents of both dialects against the apps that serve them: every mounted route is
 * documented with its request schema, security, scope, headers and error shape; every request
 * example is accepted by the route's own zod schema and, sent to a seeded gateway, answers 2xx; and
 * each document is valid OpenAPI 3.1.
 */

type Json = Record<string, unknown>;
interface Response {
  $ref?: string;
  description?: string;
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema: Json }>;
}
interface Operation {
  operationId?: string;
  description?: string;
  parameters?: { name?: string; in?: string; $ref?: string; example?: unknown; schema?: Json }[];
  requestBody?: { content: Record<string, { schema: Json; example?: unknown }> };
  responses: Record<string, Response>;
  security?: Record<string, string[]>[];
  'x-required-scope'?: string;
}
interface Document {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Json>;
    securitySchemes: Record<string, Json>;
    headers: Record<string, { required?: boolean; schema: Json }>;
    parameters: Record<string, { name: string; in: string; required?: boolean; example?: unknown; schema: Json }>;
    responses: Record<string, Response>;
  };
}

/** A route as `@hono/zod-openapi` registered it: the very zod schemas that validate requests. */
interface RouteDefinition {
  method: string;
  path: string;
  request?: {
    params?: { shape: Record<string, unknown> };
    query?: { shape: Record<string, unknown> };
    body?: { content: Record<string, { schema: ZodType }> };
  };
  responses: Record<string, { content?: Record<string, { schema: ZodType }> }>;
}

type DialectApp = ReturnType<typeof createOrgApp>;

interface Dialect {
  name: 'legacy' | 'org';
  base: string;
  app: DialectApp;
  doc: Document;
  scheme: string;
  /** The error body's keys, and those inside `error` for the org shape. */
  errorKeys: string[];
  /** Error statuses every authenticated operation documents. */
  alwaysErrors: string[];
  /** And every operation with a JSON body. */
  bodyErrors: string[];
  /** The headers every response carries. */
  traceHeaders: string[];
}

let gw: TestGateway;
let dialects: Dialect[];

beforeAll(async () => {
  gw = await createTestGateway();
  const legacy = createLegacyApp(gw.services) as unknown as DialectApp;
  const org = createOrgApp(gw.services);
  const docOf = async (app: DialectApp, base: string) => (await (await app.request(`${base}/openapi.json`)).json()) as Document;
  dialects = [
    {
      name: 'legacy',
      base: '/v1',
      app: legacy,
      doc: await docOf(legacy, '/v1'),
      scheme: 'ApiKeyAuth',
      errorKeys: ['correlation_id', 'error', 'message', 'timestamp'],
      alwaysErrors: ['400', '401', '403', '404', '405', '429', '500', '503'],
      bodyErrors: ['409', '413', '415'],
      traceHeaders: ['X-Request-ID', 'X-Correlation-ID'],
    },
    {
      name: 'org',
      base: '/api/v1',
      app: org,
      doc: await docOf(org, '/api/v1'),
      scheme: 'BearerAuth',
      errorKeys: ['code', 'details', 'message', 'request_id'],
      alwaysErrors: ['401', '403', '405', '429', '500', '503'],
      bodyErrors: ['400', '409', '413', '415', '422'],
      traceHeaders: ['X-Request-ID'],
    },
  ];
});
afterAll(() => gw.close());

const dialect = (name: Dialect['name']) => dialects.find((d) => d.name === name) as Dialect;
const NAMES = ['legacy', 'org'] as const;

/** `/users/:user_id` → `/users/{user_id}`; the banner's `/api/v1/` is the same operation as `/api/v1`. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1');

function operations(doc: Document): { key: string; path: string; method: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op })),
  );
}

function definitions(d: Dialect): Map<string, RouteDefinition> {
  const routes = d.app.openAPIRegistry.definitions
    .filter((def) => def.type === 'route')
    .map((def) => (def as unknown as { route: RouteDefinition }).route);
  return new Map(routes.map((r) => [`${r.method.toUpperCase()} ${openApiPath(`${d.base}${r.path}`)}`, r]));
}

function resolve(doc: Document, schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  return doc.components.schemas[ref.replace('#/components/schemas/', '')] as Json;
}

/** A response, or the `components.responses` entry it refers to. */
function responseOf(doc: Document, response: Response): Response {
  if (response.$ref === undefined) return response;
  return doc.components.responses[response.$ref.replace('#/components/responses/', '')] as Response;
}

/** The names of a response's headers, each a `$ref` to a component that exists. */
function headersOf(doc: Document, response: Response): string[] {
  const headers = responseOf(doc, response).headers ?? {};
  for (const [name, header] of Object.entries(headers)) {
    expect(header.$ref, name).toBe(`#/components/headers/${name}`);
    expect(doc.components.headers[name], name).toBeDefined();
  }
  return Object.keys(headers);
}

const IDEMPOTENCY_KEY_REF = '#/components/parameters/IdempotencyKey';
const RATE_LIMIT_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'RateLimit-Policy', 'RateLimit'];

const jsonBodyOf = (op: Operation) => op.requestBody?.content['application/json'];

describe.each(NAMES)('the %s dialect document', (name) => {
  it('documents every mounted route with the same method, and nothing else', () => {
    const d = dialect(name);
    const mounted = new Set(
      d.app.routes
        // `ALL` entries are middleware (`use('*')`) and the 404/405 fallback; a route's own
        // middleware repeats its method and path, which the set folds away.
        .filter((r) => r.method !== 'ALL' && r.path !== `${d.base}/openapi.json`)
        .map((r) => `${r.method} ${openApiPath(r.path)}`),
    );
    const documented = new Set(operations(d.doc).map((o) => o.key));
    expect(mounted.size).toBeGreaterThan(10);
    expect([...mounted].sort()).toEqual([...documented].sort());
  });

  it('gives every operation its request schema: path and query parameters, and the JSON body', () => {
    const d = dialect(name);
    const defs = definitions(d);
    for (const { key, path, op } of operations(d.doc)) {
      const def = defs.get(key);
      expect(def, key).toBeDefined();
      const params = (where: string) => (op.parameters ?? []).filter((p) => p.in === where).map((p) => p.name).sort();
      expect(params('path'), key).toEqual([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort());
      expect(params('path'), key).toEqual(Object.keys(def?.request?.params?.shape ?? {}).sort());
      expect(params('query'), key).toEqual(Object.keys(def?.request?.query?.shape ?? {}).sort());
      expect(jsonBodyOf(op) !== undefined, key).toBe(def?.request?.body !== undefined);
    }
  });

  it('declares its security scheme on every operation that needs a key', () => {
    const d = dialect(name);
    expect(d.doc.openapi).toBe('3.1.0');
    expect(d.doc.components.securitySchemes).toEqual({
      [d.scheme]:
        name === 'legacy'
          ? { type: 'apiKey', in: 'header', name: 'x-api-key', description: expect.stringContaining('sk_live_') }
          : expect.objectContaining({ type: 'http', scheme: 'bearer', description: expect.stringContaining('sk_live_') }),
    });
    for (const { key, op } of operations(d.doc)) {
      // Only the org banner needs no key, and says so.
      if (key === 'GET /api/v1') expect(op.security).toEqual([]);
      else expect(op.security, key).toEqual([{ [d.scheme]: [] }]);
    }
  });

  it("documents the dialect's error shape for every error status an operation can answer", () => {
    const d = dialect(name);
    const error = resolve(d.doc, { $ref: '#/components/schemas/Error' });
    const keys = name === 'legacy' ? Object.keys(error.properties as Json) : Object.keys(((error.properties as Json).error as Json).properties as Json);
    expect(keys.sort()).toEqual(d.errorKeys);
    for (const { key, op } of operations(d.doc)) {
      if (op.security?.length === 0) continue;
      const statuses = Object.keys(op.responses);
      const expected = [...d.alwaysErrors, ...(jsonBodyOf(op) ? d.bodyErrors : [])];
      expect(statuses, key).toEqual(expect.arrayContaining(expected));
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        const response = responseOf(d.doc, op.responses[status] as Response);
        expect(response.content?.['application/json']?.schema, `${key} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });

  it('answers a request without a key with a documented 401 whose body fits the documented schema', async () => {
    const d = dialect(name);
    const defs = definitions(d);
    for (const { key, path, method, op } of operations(d.doc)) {
      if (op.security?.length === 0) continue;
      const url = path.replace(/\{[^}]+\}/g, 'x_1');
      const res = await d.app.request(url, {
        method: method.toUpperCase(),
        ...(jsonBodyOf(op) ? { headers: { 'Content-Type': 'application/json' }, body: '{}' } : {}),
      });
      expect(res.status, key).toBe(401);
      const schema = defs.get(key)?.responses['401']?.content?.['application/json']?.schema;
      expect(schema?.safeParse(await res.json()).success, key).toBe(true);
    }
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(dialect(name).doc as unknown as Json);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });
});

describe.each(NAMES)('the %s dialect document, for generated clients', (name) => {
  it('has a server, so paths resolve against the gateway that serves the document', () => {
    const d = dialect(name);
    expect(d.doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    for (const path of Object.keys(d.doc.paths)) expect(path.startsWith(d.base), path).toBe(true);
  });

  it('names every operation: a unique operationId, and the scope it needs in x-required-scope and in its description', () => {
    const d = dialect(name);
    const ids = operations(d.doc).map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id)), ids.join()).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { key, op } of operations(d.doc)) {
      if (key === 'GET /api/v1') {
        expect(op['x-required-scope']).toBeUndefined();
        continue;
      }
      expect(SCOPES, key).toContain(op['x-required-scope']);
      expect(op.description, key).toContain(`\`${op['x-required-scope']}\` scope`);
    }
  });

  it('x-required-scope is the scope the route asks for: without it 403, with only it past the scope check', async () => {
    const d = dialect(name);
    for (const { key, path, method, op } of operations(d.doc)) {
      const scope = op['x-required-scope'] as Scope | undefined;
      if (scope === undefined) continue;
      const url = path.replace('{user_id}', gw.alice.id).replace(/\{[^}]+\}/g, 'x_1');
      const call = async (token: string) => {
        const auth: Record<string, string> = name === 'legacy' ? { 'x-api-key': token } : { Authorization: `Bearer ${token}` };
        const body = jsonBodyOf(op) ? { headers: { ...auth, 'Content-Type': 'application/json' }, body: '{}' } : { headers: auth };
        return (await d.app.request(url, { method: method.toUpperCase(), ...body })).status;
      };
      const others = SCOPES.filter((s) => s !== scope);
      expect(await call(await gw.tokens.withScopes(others)), `${key} without ${scope}`).toBe(403);
      expect(await call(await gw.tokens.withScopes([scope])), `${key} with only ${scope}`).not.toBe(403);
    }
  });

  it('declares Idempotency-Key on every POST and PATCH, and only there: a header of 1-128 printable ASCII, with no example to reuse', () => {
    const d = dialect(name);
    const param = d.doc.components.parameters.IdempotencyKey;
    expect(param).toMatchObject({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 128 } });
    expect(param?.example).toBeUndefined();
    expect(new RegExp(param?.schema.pattern as string).source).toBe(IDEMPOTENCY_KEY_PATTERN.source);
    for (const { key, method, op } of operations(d.doc)) {
      const declared = (op.parameters ?? []).some((p) => p.$ref === IDEMPOTENCY_KEY_REF);
      expect(declared, key).toBe(method === 'post' || method === 'patch');
    }
  });

  it('documents the response headers: the request id everywhere, rate limits after a key, Retry-After on 429 and 503, Allow on 405, Idempotent-Replayed on writes', () => {
    const d = dialect(name);
    for (const { key, method, op } of operations(d.doc)) {
      const keyed = op['x-required-scope'] !== undefined;
      for (const [status, response] of Object.entries(op.responses)) {
        const names = headersOf(d.doc, response);
        const at = `${key} ${status}`;
        expect(names, at).toEqual(expect.arrayContaining(d.traceHeaders));
        if (status === '405') {
          expect(names, at).toContain('Allow');
          continue;
        }
        if (keyed && status !== '401') expect(names, at).toEqual(expect.arrayContaining(RATE_LIMIT_HEADERS));
        else expect(names.filter((n) => RATE_LIMIT_HEADERS.includes(n)), at).toEqual([]);
        expect(names.includes('Retry-After'), at).toBe(status === '429' || status === '503');
        expect(names.includes('Idempotent-Replayed'), at).toBe(Number(status) < 300 && (method === 'post' || method === 'patch'));
      }
    }
    for (const required of [...d.traceHeaders, 'Retry-After', 'Allow']) expect(d.doc.components.headers[required]?.required, required).toBe(true);
  });

  it('gives path parameters no example: the reference page would fill in an id that exists in no gateway', () => {
    const d = dialect(name);
    for (const { key, op } of operations(d.doc)) {
      for (const p of (op.parameters ?? []).filter((p) => p.in === 'path')) {
        expect(p.example, `${key} ${p.name}`).toBeUndefined();
        expect(p.schema?.example, `${key} ${p.name}`).toBeUndefined();
      }
    }
  });

  it('describes every tag it uses', () => {
    const doc = dialect(name).doc as Document & { tags: { name: string; description?: string }[] };
    const used = new Set(operations(doc).flatMap(({ op }) => (op as { tags?: string[] }).tags ?? []));
    expect(doc.tags.map((t) => t.name).sort()).toEqual([...used].sort());
    for (const tag of doc.tags) expect(tag.description, tag.name).toMatch(/\w/);
  });
});

describe('request examples', () => {
  /** Every POST and PATCH of both dialects, with the example its document shows. */
  const examples = () =>
    dialects.flatMap((d) =>
      operations(d.doc)
        .filter(({ op }) => jsonBodyOf(op) !== undefined)
        .map(({ key, path, method, op }) => {
          const media = jsonBodyOf(op) as { schema: Json; example?: unknown };
          return { d, key, path, method, example: media.example ?? resolve(d.doc, media.schema).example };
        }),
    );

  it('every POST and PATCH has one, and the zod schema of its route accepts it', () => {
    const all = examples();
    expect(all.map((e) => e.key).sort()).toEqual([
      'PATCH /api/v1/agents/{id}',
      'PATCH /v1/users/{user_id}/agents/{agent_id}',
      'PATCH /v1/users/{user_id}/phone_numbers/{id}',
      'POST /api/v1/agents',
      'POST /v1/users/{user_id}/agents',
      'POST /v1/users/{user_id}/phone_numbers',
    ]);
    for (const { d, key, example } of all) {
      expect(example, key).toBeTypeOf('object');
      const schema = definitions(d).get(key)?.request?.body?.content['application/json']?.schema;
      const parsed = schema?.safeParse(example);
      expect(parsed?.success, `${key}: ${JSON.stringify(parsed?.error?.issues)}`).toBe(true);
    }
  });

  it('each, sent to a seeded gateway with its phone ids substituted, answers 2xx', async () => {
    const log = capturingLogger();
    const app = createGatewayApp({ services: gw.services, storage: { ready: async () => true }, logger: log.logger });
    const created: Record<string, string> = {};
    // Creates first, so the updates have something to update.
    const ordered = examples().sort((a, b) => (a.method === b.method ? 0 : a.method === 'post' ? -1 : 1));
    for (const { d, key, path, method, example } of ordered) {
      const body = { ...(example as Json) };
      if ('phone_number_id' in body) body.phone_number_id = gw.numbers.aliceSpare.id;
      if ('meta_phone_number_id' in body) body.meta_phone_number_id = '106540352249999';
      const ids: Record<string, string | undefined> = {
        user_id: gw.alice.id,
        agent_id: created['legacy agent'],
        id: path.includes('phone_numbers') ? gw.numbers.alice.id : created['org agent'],
      };
      const url = path.replace(/\{([^}]+)\}/g, (_, name: string) => ids[name] ?? name);
      const auth: Record<string, string> = d.scheme === 'ApiKeyAuth' ? { 'x-api-key': gw.tokens.full } : { Authorization: `Bearer ${gw.tokens.full}` };
      const res = await app.request(url, {
        method: method.toUpperCase(),
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as Json;
      expect(res.status, `${key}: ${JSON.stringify(answer)}`).toBeGreaterThanOrEqual(200);
      expect(res.status, `${key}: ${JSON.stringify(answer)}`).toBeLessThan(300);
      if (key === 'POST /v1/users/{user_id}/agents') created['legacy agent'] = answer.agent_id as string;
      if (key === 'POST /api/v1/agents') created['org agent'] = (answer.data as Json).id as string;
    }
    expect(Object.keys(created).sort()).toEqual(['legacy agent', 'org agent']);
    expect(gw.unexpected).toEqual([]);
  });
});
