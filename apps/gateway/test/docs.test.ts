import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createMemoryUnitOfWork } from '@gateway/core/testing';
import { createGatewayApp } from '../src/app';
import { buildServices } from '../src/compose';
import { parseConfig } from '../src/config';
import { capturingLogger } from './helpers';

function gateway() {
  const log = capturingLogger();
  const services = buildServices(parseConfig({}), { uow: createMemoryUnitOfWork() }, log.logger);
  return { app: createGatewayApp({ services, storage: { ready: async () => true }, logger: log.logger }), log };
}

const installedBundle = () => readFileSync(createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js'));

describe('GET /docs', () => {
  it('is an HTML reference of both dialects, without a key, that loads nothing from another origin', async () => {
    const { app, log } = gateway();
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('"/api/v1/openapi.json"');
    expect(html).toContain('"/v1/openapi.json"');
    // Scripts come from this origin only; no script, style or font anywhere else.
    const scripts = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]*)"/g)].map((m) => m[1]);
    expect(scripts).toEqual([expect.stringMatching(/^\/docs\/assets\/scalar\.js\?v=\d+\.\d+\.\d+$/)]);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toMatch(/"withDefaultFonts": false/);
    expect(html).toMatch(/"proxyUrl": ""/);
    // The browser is told the same: this origin only.
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'self'", "script-src 'self'", "connect-src 'self'", "font-src 'self'"]) expect(csp).toContain(directive);
    expect(log.lines().find((l) => l.msg === 'request')).toMatchObject({ route: '/docs', status: 200, dialect: 'gateway' });
  });

  it('serves the installed Scalar bundle as JavaScript with a long cache, gzipped when asked', async () => {
    const { app } = gateway();
    const page = await (await app.request('/docs')).text();
    const src = /<script\b[^>]*\bsrc="([^"]*)"/.exec(page)?.[1] as string;

    const plain = await app.request(src);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('x-request-id')).toMatch(/^req_/);
    const body = Buffer.from(await plain.arrayBuffer());
    expect(body.equals(installedBundle())).toBe(true);

    const gzipped = await app.request(src, { headers: { 'Accept-Encoding': 'gzip, br' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(gzipped.headers.get('vary')).toBe('Accept-Encoding');
    expect(gunzipSync(Buffer.from(await gzipped.arrayBuffer())).equals(body)).toBe(true);
  });

  it('leaves everything else as it was: an unknown asset is the root 404, and /docs takes only GET', async () => {
    const { app } = gateway();
    const missing = await app.request('/docs/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect((await app.request('/docs', { method: 'POST' })).status).toBe(404);
    expect((await app.request('/healthz')).status).toBe(200);
  });
});
