import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '@gateway/http/testing';
import { createGatewayApp } from '../../src/app';
import { parseConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { fixtureText } from './fixtures';
import { APP_SECRET, sign, VERIFY_TOKEN, whatsappDelivery, whatsappText } from './helpers';

/** The webhook as the running server serves it: mounted in the gateway app, configured from the environment. */

let gw: TestGateway;

beforeAll(async () => {
  gw = await createTestGateway();
});

afterAll(async () => {
  await gw.close();
});

function gateway(env: Record<string, string>) {
  let raw = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      raw += chunk.toString();
      done();
    },
  });
  const config = parseConfig(env);
  const app = createGatewayApp({ services: gw.services, storage: { ready: async () => true }, logger: createLogger('info', stream), meta: config.meta });
  return { app, raw: () => raw, lines: () => raw.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const configured = { META_APP_SECRET: APP_SECRET, META_VERIFY_TOKEN: VERIFY_TOKEN };

const post = (app: ReturnType<typeof gateway>['app'], body: string, signature = sign(body)) =>
  app.request('/webhooks/meta', { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });

describe('/webhooks/meta in the gateway app', () => {
  it('META_VERIFY_TOKEN answers the handshake', async () => {
    const { app } = gateway(configured);
    const res = await app.request(`/webhooks/meta?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=4242`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('4242');
  });

  it('META_APP_SECRET verifies deliveries; the message is stored and the request log names the webhooks dialect', async () => {
    await gw.core.createAgent({
      ctx: { uow: gw.uow, actor: gw.core.actorFor((await gw.core.authenticate({ uow: gw.uow, token: gw.tokens.full }))!) },
      input: { name: 'Front desk', promptId: 'pmpt_front', phoneNumberId: gw.numbers.alice.id },
    });
    const { app, lines } = gateway(configured);
    const res = await post(app, fixtureText('whatsapp-text'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'received' });
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^req_[0-9a-f]{16}$/);

    const request = lines().find((l) => l.msg === 'request');
    expect(request).toMatchObject({ request_id: requestId, dialect: 'webhooks', method: 'POST', route: '/webhooks/meta', status: 200 });
    expect(lines().find((l) => l.msg === 'webhook delivery received')).toMatchObject({ request_id: requestId, level: 'info', stored: 1 });
  });

  it('unknown numbers are logged at warn with the request id, and the log carries no text, customer id or secret', async () => {
    const { app, lines, raw } = gateway(configured);
    const res = await post(app, JSON.stringify(whatsappDelivery('777000111222333', [whatsappText({ from: '15559990000', text: 'secret plans' })])));
    expect(res.status).toBe(200);
    expect(lines()).toContainEqual(
      expect.objectContaining({ level: 'warn', request_id: res.headers.get('x-request-id'), meta_phone_number_id: '777000111222333' }),
    );
    for (const needle of ['secret plans', '15559990000', APP_SECRET, VERIFY_TOKEN]) expect(raw()).not.toContain(needle);
  });

  it('without META_APP_SECRET and META_VERIFY_TOKEN, deliveries are 401 and handshakes 403, with a warning in the log', async () => {
    const { app, lines } = gateway({});
    const body = fixtureText('whatsapp-text');
    expect((await post(app, body)).status).toBe(401);
    expect((await app.request('/webhooks/meta?hub.mode=subscribe&hub.verify_token=&hub.challenge=1')).status).toBe(403);
    expect(lines().filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'webhook delivery refused: META_APP_SECRET is not set',
      'webhook handshake refused: META_VERIFY_TOKEN is not set',
    ]);
  });

  it('a wrong signature is 401 in the gateway too, and the dialects and probes are untouched', async () => {
    const { app } = gateway(configured);
    expect((await post(app, fixtureText('whatsapp-text'), sign('other'))).status).toBe(401);
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/webhooks/other')).status).toBe(404);
  });
});
