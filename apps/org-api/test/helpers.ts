import { expect } from 'vitest';
import { SCOPES, type Scope } from '@gateway/core';
import { createTestGateway, type TestGatewayOptions } from '@gateway/http/testing';
import { createOrgApp } from '../src';

export const instructions = 'Answer Where Is My Order questions using the Shopify order tool. Never make up tracking info.';

/** The create page's example request, as written (its elided connector ids made well-formed). */
export const wismoBody = () => ({
  handle: 'wismo',
  name: 'WISMO',
  instructions,
  model: 'gpt-5',
  tools: [
    { name: 'shopify_get_order', connector_id: 'connector_abc' },
    { name: 'shopify_search_orders', connector_id: 'connector_abc' },
    { name: 'zendesk_add_public_reply', connector_id: 'connector_def' },
  ],
});

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export interface Call {
  token?: string | null;
  body?: unknown;
  /** A raw body sent as is. */
  raw?: string;
  headers?: Record<string, string>;
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A gateway world with the org app over it, and a small client. */
export async function orgWorld(options: TestGatewayOptions = {}) {
  const gw = await createTestGateway(options);
  const app = createOrgApp(gw.services);

  async function call(method: string, path: string, init: Call = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const token = init.token === undefined ? gw.tokens.full : init.token;
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (init.raw !== undefined) body = init.raw;
    else if (init.body !== undefined) body = JSON.stringify(init.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    const res = await app.request(`/api/v1${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  const api = {
    get: (path: string, init?: Call) => call('GET', path, init),
    post: (path: string, body: unknown, init?: Call) => call('POST', path, { ...init, body }),
    patch: (path: string, body: unknown, init?: Call) => call('PATCH', path, { ...init, body }),
    delete: (path: string, init?: Call) => call('DELETE', path, init),
    call,
  };

  /** A full-scope core context on the whole org: the fast way to set up many agents. */
  const orgCtx = (orgId = gw.org.id) => ({
    uow: gw.uow,
    actor: { orgId, keyId: 'key_test', keyUserId: null, scopes: new Set<Scope>(SCOPES), visibility: { orgId } },
  });

  /** Creates an agent through HTTP and returns its body. */
  async function createAgent(fields: Record<string, unknown> = {}) {
    const res = await api.post('/agents', { handle: `a${Math.random().toString(36).slice(2, 10)}`, name: 'Agent', instructions, ...fields });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.data;
  }

  /** A customer message to a number, routed like a webhook delivery. */
  let sequence = 0;
  async function inbound(number: { platform: 'whatsapp' | 'instagram'; metaPhoneNumberId: string }, customerId: string, text = 'Where is my order?') {
    const [outcome] = await gw.core.recordInboundMessages({
      uow: gw.uow,
      messages: [{ platform: number.platform, metaPhoneNumberId: number.metaPhoneNumberId, customerId, platformMessageId: `wamid.${++sequence}.${Math.random()}`, type: 'text', text }],
    });
    return outcome;
  }

  return { gw, app, api, orgCtx, createAgent, inbound };
}

export type OrgWorld = Awaited<ReturnType<typeof orgWorld>>;

/** The error envelope with this code, and the request id of the response. */
export function expectError(res: Answer, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.request_id).toBe(res.headers.get('x-request-id'));
  expect(Object.keys(res.body)).toEqual(['error']);
}

/** 422 `validation_failed` whose details name exactly these fields (in any order). */
export function expectInvalid(res: Answer, fields: string[]) {
  expectError(res, 422, 'validation_failed');
  const details = res.body.error.details as { field: string; message: string }[];
  expect(details.map((d) => d.field).sort()).toEqual([...fields].sort());
  return details;
}
