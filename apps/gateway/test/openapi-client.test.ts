import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '@gateway/http/testing';
import { createGatewayApp } from '../src/app';
import { WEBHOOKS_DOC_PATH } from '../src/docs';
import { capturingLogger, tempDir } from './helpers';

/**
 * A typed client generated from each served document (openapi-typescript), used the way a client
 * would use it (openapi-fetch), and type-checked: the calls the API takes compile, and the ones it
 * refuses (`// @ts-expect-error`: a wrong Idempotency-Key type, a missing required field, a PATCH
 * naming nothing, R5, R8) do not, or the unused directive is itself an error.
 */

const DOCUMENTS = { legacy: '/v1/openapi.json', org: '/api/v1/openapi.json', webhooks: WEBHOOKS_DOC_PATH };

const USAGE = `
import createClient from 'openapi-fetch';
import type { paths as Legacy } from './legacy';
import type { paths as Org } from './org';
import type { paths as Webhooks } from './webhooks';

const baseUrl = 'http://gateway.test';

export async function legacyCalls(userId: string, phoneNumberId: string): Promise<string[]> {
  const client = createClient<Legacy>({ baseUrl });
  const path = { user_id: userId };
  const created = await client.POST('/v1/users/{user_id}/agents', {
    params: { path, header: { 'Idempotency-Key': 'create-support-agent' } },
    body: { phone_number_id: phoneNumberId, prompt_id: 'prompt_xyz789', name: 'Support' },
  });
  const notes: string[] = [];
  if (created.data) notes.push(created.data.agent_id, created.data.prompt_id ?? 'no prompt');
  if (created.error) notes.push(created.error.error, created.error.message, created.error.correlation_id);

  await client.PATCH('/v1/users/{user_id}/agents/{agent_id}', {
    params: { path: { ...path, agent_id: 'agent_1' }, header: { 'Idempotency-Key': 'rename' } },
    body: { name: 'Support (EU)' },
  });
  await client.PATCH('/v1/users/{user_id}/phone_numbers/{id}', { params: { path: { ...path, id: 'pn_1' } }, body: { display_name: null } });
  const page = await client.GET('/v1/users/{user_id}/agents', { params: { path, query: { limit: 10, offset: 0 } } });
  if (page.data) notes.push(String(page.data.pagination.has_more));

  await client.POST('/v1/users/{user_id}/agents', {
    // @ts-expect-error Idempotency-Key is a string
    params: { path, header: { 'Idempotency-Key': 42 } },
    body: { phone_number_id: phoneNumberId, prompt_id: 'prompt_xyz789', name: 'Support' },
  });
  // @ts-expect-error name is required
  await client.POST('/v1/users/{user_id}/agents', { params: { path }, body: { phone_number_id: phoneNumberId, prompt_id: 'prompt_xyz789' } });
  // @ts-expect-error a PATCH names at least one of name, prompt_id, phone_number_id
  await client.PATCH('/v1/users/{user_id}/agents/{agent_id}', { params: { path: { ...path, agent_id: 'agent_1' } }, body: {} });
  // @ts-expect-error limit is a number
  await client.GET('/v1/users/{user_id}/agents', { params: { path, query: { limit: 'ten' } } });
  // @ts-expect-error the path needs its user
  await client.GET('/v1/users/{user_id}/agents', { params: { path: {} } });
  return notes;
}

export async function orgCalls(): Promise<string[]> {
  const client = createClient<Org>({ baseUrl });
  const notes: string[] = [];
  const created = await client.POST('/api/v1/agents', {
    params: { header: { 'Idempotency-Key': 'create-wismo' } },
    body: {
      handle: 'wismo',
      name: 'WISMO',
      instructions: 'Answer Where Is My Order questions.',
      tools: [{ name: 'shopify_get_order', connector_id: 'connector_shopify' }],
      data_sources: [{ source_id: 'source_faq', scope: 'selected', documents: ['doc_returns'] }],
    },
  });
  if (created.data) notes.push(created.data.data.id, created.data.meta.request_id);
  if (created.error && created.error.error.code === 'agent_handle_taken') notes.push(created.error.error.message);
  await client.POST('/api/v1/agents', { body: { handle: 'fromPrompt', name: 'From a prompt', prompt_id: 'pmpt_68de2bd8' } });
  await client.PATCH('/api/v1/agents/{id}', { params: { path: { id: 'agent_1' }, header: { 'Idempotency-Key': 'deactivate' } }, body: { is_active: false } });
  const page = await client.GET('/api/v1/agents', { params: { query: { limit: 25 } } });
  if (page.data) notes.push(page.data.meta.next_cursor ?? 'last page');

  // @ts-expect-error Idempotency-Key is a string
  await client.POST('/api/v1/agents', { params: { header: { 'Idempotency-Key': true } }, body: { handle: 'a', name: 'A', instructions: 'x' } });
  // @ts-expect-error handle is required
  await client.POST('/api/v1/agents', { body: { name: 'A', instructions: 'x' } });
  // @ts-expect-error instructions, instructions_html or prompt_id is required (R5)
  await client.POST('/api/v1/agents', { body: { handle: 'a', name: 'A' } });
  // @ts-expect-error a selected data source lists its documents (R8)
  await client.POST('/api/v1/agents', { body: { handle: 'a', name: 'A', instructions: 'x', data_sources: [{ source_id: 'source_faq', scope: 'selected' }] } });
  // @ts-expect-error not an error code of the registry
  if (created.error && created.error.error.code === 'handle_taken') notes.push('never');
  return notes;
}

export async function webhookCalls(): Promise<void> {
  const client = createClient<Webhooks>({ baseUrl });
  await client.GET('/webhooks/meta', { params: { query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'token', 'hub.challenge': '42' } } });
  await client.POST('/webhooks/meta', {
    params: { header: { 'X-Hub-Signature-256': 'sha256=00' } },
    body: { object: 'instagram', entry: [{ id: '17841400000000000', messaging: [{ message: { mid: 'm_1', text: 'Hi' } }] }] },
  });
  // @ts-expect-error the signature header is required
  await client.POST('/webhooks/meta', { body: { object: 'instagram', entry: [] } });
}
`;

/** The same client, one mistake left unmarked: the check must report it, at its line. */
const CONTROL = `
import createClient from 'openapi-fetch';
import type { paths as Legacy } from './legacy';

export async function mistake(): Promise<void> {
  const client = createClient<Legacy>({ baseUrl: 'http://gateway.test' });
  await client.POST('/v1/users/{user_id}/agents', {
    params: { path: { user_id: 'usr_1' }, header: { 'Idempotency-Key': 7 } },
    body: { phone_number_id: 'pn_1', prompt_id: 'p', name: 'A' },
  });
}
`;

let gw: TestGateway;
let dir: ReturnType<typeof tempDir>;
let diagnostics: { file: string; line: number; message: string }[];

beforeAll(async () => {
  gw = await createTestGateway({ storage: 'memory' });
  const app = createGatewayApp({ services: gw.services, storage: { ready: async () => true }, logger: capturingLogger().logger });
  dir = tempDir();
  for (const [name, path] of Object.entries(DOCUMENTS)) {
    const document = (await (await app.request(path)).json()) as OpenAPI3;
    writeFileSync(join(dir.dir, `${name}.ts`), astToString(await openapiTS(document)));
  }
  writeFileSync(join(dir.dir, 'usage.ts'), USAGE);
  writeFileSync(join(dir.dir, 'control.ts'), CONTROL);

  // The temp folder has no node_modules: openapi-fetch is mapped to the copy installed here.
  const openapiFetch = dirname(createRequire(import.meta.url).resolve('openapi-fetch/package.json'));
  const program = ts.createProgram([join(dir.dir, 'usage.ts'), join(dir.dir, 'control.ts')], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: true,
    noUncheckedIndexedAccess: true,
    baseUrl: dir.dir,
    paths: { 'openapi-fetch': [openapiFetch] },
  });
  diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ({
    file: d.file ? d.file.fileName.slice(dir.dir.length + 1) : '',
    line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
    message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }));
}, 60_000);
afterAll(async () => {
  dir?.cleanup();
  await gw?.close();
});

describe('typed clients generated from the documents', () => {
  it('generate, with Idempotency-Key as an optional string header of POST and PATCH', () => {
    const legacy = readFileSync(join(dir.dir, 'legacy.ts'), 'utf8');
    expect(legacy).toContain('export interface paths');
    expect(legacy).toMatch(/"Idempotency-Key"\?: components\["parameters"\]\["IdempotencyKey"\]/);
    expect(legacy).toMatch(/IdempotencyKey: string;/);
  });

  it('type-check a script that uses them with openapi-fetch, and refuse every call the API refuses', () => {
    expect(diagnostics.filter((d) => d.file !== 'control.ts')).toEqual([]);
  });

  it('would report a mistake: the unmarked wrong header type in the control file is an error', () => {
    const control = diagnostics.filter((d) => d.file === 'control.ts');
    expect(control).toEqual([expect.objectContaining({ line: 8, message: expect.stringContaining("'number' is not assignable to type 'string'") })]);
  });
});
