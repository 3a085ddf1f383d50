import { expect } from 'vitest';
import type { Actor, InboundMessage } from '@gateway/core';
import type { GatewayServices } from '@gateway/http';
import { createTestGateway, type TestGateway, type TestGatewayOptions } from '@gateway/http/testing';
import { createLegacyApp } from '../src';
import type { LegacyStatus } from '../src/errors';

/** Legacy timestamps: UTC, to the second. */
export const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
export const anyTimestamp = () => expect.stringMatching(TIMESTAMP);
export const AGENT_ID = /^agent_[0-9a-f]{24}$/;
export const PHONE_ID = /^pn_[0-9a-f]{24}$/;
export const CONVERSATION_ID = /^conv_[0-9a-f]{24}$/;
export const MESSAGE_ID = /^msg_[0-9a-f]{24}$/;

export interface CallInit {
  /** The x-api-key; null sends none. */
  token?: string | null;
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is (with the headers given). */
  raw?: string;
  headers?: Record<string, string>;
}

export interface Reply<T> {
  status: number;
  headers: Headers;
  /** The parsed JSON body (null when the body is empty or not JSON). */
  body: T;
  text: string;
}

/** Loosely typed JSON: the tests state the exact shape with `toEqual`. */
export type Json = any;

export type LegacyApp = ReturnType<typeof createLegacyApp>;

/** Calls the legacy app in-process, with the full key unless told otherwise. */
export function client(app: LegacyApp, defaultToken: string) {
  return async function call<T = Json>(method: string, path: string, init: CallInit = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    const token = init.token === undefined ? defaultToken : init.token;
    if (token !== null) headers['x-api-key'] = token;
    let body: string | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.raw !== undefined) {
      body = init.raw;
    }
    Object.assign(headers, init.headers ?? {});
    const res = await app.request(path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  };
}

export type Call = ReturnType<typeof client>;

/** A seeded gateway world (SQLite in a temporary folder) with the legacy app over it. */
export async function legacyWorld(options: TestGatewayOptions = {}) {
  const gw = await createTestGateway(options);
  const app = createLegacyApp(gw.services);
  const call = client(app, gw.tokens.full);
  const alice = `/v1/users/${gw.alice.id}`;
  const bob = `/v1/users/${gw.bob.id}`;
  return { gw, app, call, paths: { alice, bob, carol: `/v1/users/${gw.carol.id}` } };
}

export type LegacyWorld = Awaited<ReturnType<typeof legacyWorld>>;

/** Another legacy app over the same world, with some services replaced (to inject failures). */
export function appWith(gw: TestGateway, overrides: Partial<GatewayServices>) {
  return createLegacyApp({ ...gw.services, ...overrides });
}

/**
 * Asserts a legacy error: exactly `{error, message, correlation_id, timestamp}`, the given status,
 * title and message, and the correlation id equal to `X-Request-ID` and `X-Correlation-ID`.
 */
export function expectLegacyError(res: Reply<unknown>, status: LegacyStatus, title: string, message: string | RegExp) {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: {
      error: title,
      message: typeof message === 'string' ? message : expect.stringMatching(message),
      correlation_id: expect.any(String),
      timestamp: anyTimestamp(),
    },
  });
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  expect((res.body as { correlation_id: string }).correlation_id).toBe(requestId);
  expect(res.headers.get('x-correlation-id')).toBe(requestId);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
}

/** The core's actor for a token, seeing what a legacy request for `userId` sees. */
export async function actorOf(gw: TestGateway, token: string, userId?: string): Promise<Actor> {
  const key = await gw.core.authenticate({ uow: gw.uow, token });
  if (!key) throw new Error('no such key');
  return gw.core.actorFor(key, userId);
}

/** Every live agent of the org, straight from the core (not through HTTP). */
export async function agentsInDb(gw: TestGateway) {
  const actor = await actorOf(gw, gw.tokens.full);
  const page = await gw.core.listAgents({ ctx: { actor, uow: gw.uow }, filter: {}, page: { kind: 'offset', limit: 100, offset: 0 } });
  return page.items;
}

/** An inbound WhatsApp text to Alice's seeded number, as the webhook would record it. */
export function whatsappText(gw: TestGateway, customerId: string, platformMessageId: string, text: string): InboundMessage {
  return { platform: 'whatsapp', metaPhoneNumberId: gw.numbers.alice.metaPhoneNumberId, customerId, platformMessageId, type: 'text', text };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asserts no error was reported as unexpected (500) during a test. */
export function expectNoUnexpected(gw: TestGateway) {
  expect(gw.unexpected.map((u) => String(u.error))).toEqual([]);
}
