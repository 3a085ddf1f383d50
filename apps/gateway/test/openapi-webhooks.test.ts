import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '@gateway/http/testing';
import { createGatewayApp } from '../src/app';
import { HIDE_KEY_PLACEHOLDERS, WEBHOOKS_DOC_PATH, webhooksDocument } from '../src/docs';
import { createWebhookApp, WEBHOOK_PATH } from '../src/webhooks/app';
import { capturingLogger } from './helpers';

/**
 * The gateway's own document, `/webhooks/openapi.json`, is written by hand: here it is held to the
 * webhook app it describes (its routes, and what they answer to the documented requests), and the
 * reference page is checked to show it beside the dialects.
 */

const APP_SECRET = 'openapi-test-secret';
const VERIFY_TOKEN = 'openapi-test-verify-token';

type Json = Record<string, unknown>;
interface Operation {
  parameters: { name: string; in: string; required?: boolean; example?: string; schema: Json }[];
  requestBody?: { content: Record<string, { example: unknown }> };
  responses: Record<string, { $ref?: string; content?: Record<string, unknown> }>;
}
const doc = webhooksDocument as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; responses: Record<string, { content: Record<string, unknown> }> };
};
const sign = (body: string) => `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;
const errorCodes = () => ((((doc.components.schemas.WebhookError?.properties as Json).error as Json).properties as Json).code as { enum: string[] }).enum;

let gw: TestGateway;
let gateway: ReturnType<typeof createGatewayApp>;

beforeAll(async () => {
  gw = await createTestGateway();
  gateway = createGatewayApp({
    services: gw.services,
    storage: { ready: async () => true },
    logger: capturingLogger().logger,
    meta: { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN },
  });
});
afterAll(() => gw.close());

describe('the webhooks document', () => {
  it('is served without a key, as written', async () => {
    const res = await gateway.request(WEBHOOKS_DOC_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(webhooksDocument)));
  });

  it('documents every route the webhook app mounts, except the methods it refuses with 405, and nothing else', async () => {
    const app = createWebhookApp(gw.services, { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN });
    const mounted: string[] = [];
    for (const route of app.routes.filter((r) => r.method !== 'ALL')) {
      const res = await app.request(route.path, { method: route.method });
      if (res.status !== 405) mounted.push(`${route.method} ${route.path}`);
    }
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect([...new Set(mounted)].sort()).toEqual(documented.sort());
    expect(documented).toEqual([`GET ${WEBHOOK_PATH}`, `POST ${WEBHOOK_PATH}`]);
  });

  it('GET: the documented handshake echoes the challenge as plain text; a missing challenge and a wrong token answer as documented', async () => {
    const op = doc.paths[WEBHOOK_PATH]?.get as Operation;
    const value = (name: string): string => {
      const p = op.parameters.find((q) => q.name === name) as Operation['parameters'][number];
      return name === 'hub.verify_token' ? VERIFY_TOKEN : (p.example ?? (p.schema.enum as string[])[0] ?? '');
    };
    const query = (names: string[]) => names.map((n) => `${encodeURIComponent(n)}=${encodeURIComponent(value(n))}`).join('&');
    const all = op.parameters.map((p) => p.name);
    expect(op.parameters.every((p) => p.in === 'query' && p.required === true)).toBe(true);

    const ok = await gateway.request(`${WEBHOOK_PATH}?${query(all)}`);
    expect(ok.status).toBe(200);
    expect(Object.keys(op.responses['200']?.content ?? {})).toEqual(['text/plain']);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toBe(value('hub.challenge'));

    const noChallenge = await gateway.request(`${WEBHOOK_PATH}?${query(all.filter((n) => n !== 'hub.challenge'))}`);
    const wrongToken = await gateway.request(`${WEBHOOK_PATH}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    for (const [res, status] of [[noChallenge, 400], [wrongToken, 403]] as const) {
      expect(res.status).toBe(status);
      expect(op.responses[String(status)]).toBeDefined();
      const body = (await res.json()) as { error: { code: string; request_id: string } };
      expect(errorCodes()).toContain(body.error.code);
      expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
    }
  });

  it('POST: the documented example, signed as documented, is received; unsigned it is the documented 401; PUT is the documented 405', async () => {
    const op = doc.paths[WEBHOOK_PATH]?.post as Operation;
    const signature = op.parameters.find((p) => p.name === 'X-Hub-Signature-256') as Operation['parameters'][number];
    expect(signature).toMatchObject({ in: 'header', required: true });
    const raw = JSON.stringify(op.requestBody?.content['application/json']?.example);
    expect(new RegExp(signature.schema.pattern as string).test(sign(raw))).toBe(true);
    expect(new RegExp(signature.schema.pattern as string).test('sha1=abc')).toBe(false);

    const received = await gateway.request(WEBHOOK_PATH, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw) }, body: raw });
    expect(received.status).toBe(200);
    expect(await received.json()).toEqual({ status: (doc.components.schemas.Received?.properties as { status: { enum: string[] } }).status.enum[0] });

    const unsigned = await gateway.request(WEBHOOK_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    expect(unsigned.status).toBe(401);
    expect(op.responses['401']).toBeDefined();
    expect(errorCodes()).toContain(((await unsigned.json()) as { error: { code: string } }).error.code);

    const put = await gateway.request(WEBHOOK_PATH, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(op.responses['405']).toEqual({ $ref: '#/components/responses/MethodNotAllowed' });
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(errorCodes()).toContain(((await put.json()) as { error: { code: string } }).error.code);
  });
});

describe('GET /docs', () => {
  it('shows the webhooks document beside both dialects, and no key placeholder that looks like a key', async () => {
    const html = await (await gateway.request('/docs')).text();
    for (const url of ['/api/v1/openapi.json', '/v1/openapi.json', WEBHOOKS_DOC_PATH]) expect(html).toContain(`"${url}"`);
    expect(html).toContain(JSON.stringify(HIDE_KEY_PLACEHOLDERS).slice(1, -1));
  });
});
