import type { TestGateway } from '@gateway/http/testing';
import { createLegacyApp } from '@gateway/legacy-api';
import { createOrgApp } from '@gateway/org-api';

/** What a client of either dialect sees: conversations and messages read over HTTP. */

export interface LegacyConversation {
  conversation_id: string;
  agent_id: string;
  phone_number_id: string;
  customer_id: string;
  status: 'active' | 'archived';
  archived_at: string | null;
  message_count: number;
  last_message_at: string | null;
  created_at: string;
}

export interface LegacyMessage {
  message_id: string;
  conversation_id: string;
  sender: 'user' | 'agent';
  text: string;
  created_at: string;
}

export interface OrgConversation {
  id: string;
  agent_id: string;
  phone_number_id: string;
  customer_id: string;
  status: 'active' | 'archived';
  archived_at: string | null;
  archive_reason: string | null;
  message_count: number;
  last_message_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface OrgMessage {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant';
  content: string;
  created_at: string;
}

export interface Reply<T> {
  status: number;
  body: T;
}

async function replyOf<T>(res: Response | Promise<Response>): Promise<Reply<T>> {
  const response = await res;
  return { status: response.status, body: (await response.json()) as T };
}

export function dialects(gw: TestGateway) {
  const legacyApp = createLegacyApp(gw.services);
  const orgApp = createOrgApp(gw.services);

  const legacyGet = <T>(userId: string, path: string, token = gw.tokens.full) =>
    replyOf<T>(legacyApp.request(`/v1/users/${userId}${path}`, { headers: { 'x-api-key': token } }));
  const legacySend = <T>(method: string, userId: string, path: string, body?: unknown, token = gw.tokens.full) =>
    replyOf<T>(
      legacyApp.request(`/v1/users/${userId}${path}`, {
        method,
        headers: { 'x-api-key': token, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  const orgGet = <T>(path: string, token = gw.tokens.full) =>
    replyOf<T>(orgApp.request(`/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } }));
  const orgSend = <T>(method: string, path: string, body?: unknown, token = gw.tokens.full) =>
    replyOf<T>(
      orgApp.request(`/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );

  return {
    legacy: {
      get: legacyGet,
      send: legacySend,
      conversation: (userId: string, id: string, token?: string) => legacyGet<LegacyConversation>(userId, `/conversations/${id}`, token),
      conversations: (userId: string, query: string, token?: string) =>
        legacyGet<{ conversations: LegacyConversation[]; pagination: { total: number } }>(userId, `/conversations?${query}`, token),
      messages: (userId: string, id: string, token?: string) =>
        legacyGet<{ messages: LegacyMessage[]; pagination: { total: number } }>(userId, `/conversations/${id}/messages?limit=100`, token),
    },
    org: {
      get: orgGet,
      send: orgSend,
      conversation: (id: string, token?: string) => orgGet<{ data: OrgConversation }>(`/conversations/${id}`, token),
      conversations: (query: string, token?: string) =>
        orgGet<{ data: OrgConversation[]; meta: { next_cursor: string | null } }>(`/conversations?${query}`, token),
      messages: (id: string, token?: string) => orgGet<{ data: OrgMessage[] }>(`/conversations/${id}/messages?limit=100`, token),
    },
  };
}

export type Dialects = ReturnType<typeof dialects>;
