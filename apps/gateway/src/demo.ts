import { randomBytes, randomInt } from 'node:crypto';
import { SCOPES, type ApiKey, type Core, type Org, type PhoneNumber, type UnitOfWork, type User } from '@gateway/core';
import type { Logger } from './logger';
import { createdKeyView, orgView, phoneNumberView, record, userView } from './cli/views';

/**
 * The demo tenant: what `pnpm gateway demo` creates and what `pnpm start -- --demo` (or
 * `GATEWAY_DEMO=1`) seeds into an empty database, with the requests a newcomer pastes next.
 */

export interface DemoTenant {
  org: Org;
  user: User;
  whatsapp: PhoneNumber;
  instagram: PhoneNumber;
  key: ApiKey;
  /** The key's token: shown once, never stored. */
  token: string;
}

const digits = (count: number) => Array.from({ length: count }, (_, i) => randomInt(i === 0 ? 1 : 0, 10)).join('');

/** A "Demo Org" (plan pro), a user, a WhatsApp and an Instagram number of that user, and a key with every scope. */
export async function seedDemo(core: Core, uow: UnitOfWork): Promise<DemoTenant> {
  const org = await core.createOrg({ uow, input: { name: 'Demo Org', plan: 'pro' } });
  const user = await core.createUser({ uow, input: { orgId: org.id, name: 'Demo User' } });
  const { key, token } = await core.createApiKey({ uow, input: { orgId: org.id, scopes: [...SCOPES], name: 'Demo key' } });
  // The numbers belong to the demo user: the key acts for that user, as a legacy request would.
  const ctx = { uow, actor: core.actorFor(key, user.id) };
  const whatsapp = await core.addPhoneNumber({
    ctx,
    input: {
      platform: 'whatsapp',
      metaPhoneNumberId: digits(15),
      wabaId: digits(15),
      displayName: 'Demo WhatsApp',
      accessToken: `demo_${randomBytes(16).toString('hex')}`,
    },
  });
  const instagram = await core.addPhoneNumber({
    ctx,
    input: {
      platform: 'instagram',
      metaPhoneNumberId: digits(17),
      displayName: 'Demo Instagram',
      accessToken: `demo_${randomBytes(16).toString('hex')}`,
    },
  });
  return { org, user, whatsapp, instagram, key, token };
}

/** The CLI's `--json` rendering. */
export const demoJson = (t: DemoTenant) => ({
  org: orgView(t.org),
  user: userView(t.user),
  phone_numbers: [phoneNumberView(t.whatsapp), phoneNumberView(t.instagram)],
  key: createdKeyView(t.key, t.token),
});

/** What was created, one line each, the token included. */
export function demoSummary(t: DemoTenant): string {
  return record('Demo data created', {
    org: `${t.org.id}  ${t.org.name} (plan ${t.org.plan})`,
    user: `${t.user.id}  ${t.user.name}`,
    whatsapp: `${t.whatsapp.id}  ${t.whatsapp.displayName} (Meta id ${t.whatsapp.metaPhoneNumberId})`,
    instagram: `${t.instagram.id}  ${t.instagram.displayName} (Meta id ${t.instagram.metaPhoneNumberId})`,
    key: `${t.key.id}  every scope`,
    token: `${t.token}  (shown only now)`,
  });
}

/** Ready-to-paste requests for both dialects against the demo tenant; `-w '\n'` ends each answer with a newline. */
export function demoCurls(baseUrl: string, t: DemoTenant): string {
  const legacyBody = JSON.stringify({ phone_number_id: t.whatsapp.id, prompt_id: 'prompt_support_v1', name: 'Support Agent' });
  const orgBody = JSON.stringify({
    handle: 'wismo',
    name: 'WISMO',
    instructions: 'Answer Where Is My Order questions using the Shopify order tool. Never make up tracking info.',
    model: 'gpt-5',
    phone_number_id: t.instagram.id,
    tools: [
      { name: 'shopify_get_order', connector_id: 'connector_shopify' },
      { name: 'zendesk_add_public_reply', connector_id: 'connector_zendesk' },
    ],
  });
  return [
    '# legacy dialect: an agent on the WhatsApp number',
    `curl -sS -X POST ${baseUrl}/v1/users/${t.user.id}/agents -w '\\n' \\`,
    `  -H 'x-api-key: ${t.token}' -H 'Content-Type: application/json' \\`,
    `  -d '${legacyBody}'`,
    '',
    '# org dialect: an agent on the Instagram number',
    `curl -sS -X POST ${baseUrl}/api/v1/agents -w '\\n' \\`,
    `  -H 'Authorization: Bearer ${t.token}' -H 'Content-Type: application/json' \\`,
    `  -H 'Idempotency-Key: demo-wismo-1' \\`,
    `  -d '${orgBody}'`,
    '',
    '# both dialects see the same agents',
    `curl -sS ${baseUrl}/v1/users/${t.user.id}/agents -w '\\n' -H 'x-api-key: ${t.token}'`,
    `curl -sS ${baseUrl}/api/v1/agents -w '\\n' -H 'Authorization: Bearer ${t.token}'`,
  ].join('\n');
}

/**
 * What `gateway demo` prints: the tenant, then the requests. The CLI cannot know whether a server
 * runs, or where: the URL comes from PORT and HOST of its own environment, as the server's does.
 */
export function demoText(baseUrl: string, t: DemoTenant): string {
  return [
    demoSummary(t),
    '',
    `Paste these into a terminal while the server runs at ${baseUrl}`,
    '(from PORT and HOST here, as the server takes them; if it is not running, start it with the same',
    'PORT and HOST: npx -y pnpm@10.34.8 start):',
    '',
    demoCurls(baseUrl, t),
    '',
    `The API reference of both dialects: ${baseUrl}/docs`,
  ].join('\n');
}

const RULE = '='.repeat(78);

/**
 * The block the server prints after seeding: framed by rules, not prefixed, so every curl line
 * pastes as it is.
 */
export function firstRunBlock(baseUrl: string, t: DemoTenant): string {
  return [
    '',
    RULE,
    'DEMO TENANT: the database was empty, so the demo data was created. The token is',
    'printed this once; copy it now.',
    RULE,
    demoSummary(t),
    '',
    'Paste these into another terminal:',
    '',
    demoCurls(baseUrl, t),
    '',
    `The API reference of both dialects: ${baseUrl}/docs`,
    RULE,
    '',
  ].join('\n');
}

/**
 * First run with `--demo` or `GATEWAY_DEMO=1`: seeds the demo tenant and prints its block on
 * stdout, but only into a database with no org yet; otherwise logs one line and leaves it alone.
 */
export async function firstRunDemo(options: {
  core: Core;
  uow: UnitOfWork;
  baseUrl: string;
  logger: Logger;
  print: (text: string) => void;
}): Promise<DemoTenant | null> {
  const { core, uow, baseUrl, logger, print } = options;
  const orgs = await core.countOrgs({ uow });
  if (orgs > 0) {
    logger.info({ orgs }, 'demo skipped: the database is not empty (the demo is only seeded into a database without orgs)');
    return null;
  }
  const tenant = await seedDemo(core, uow);
  logger.info({ org_id: tenant.org.id, key_id: tenant.key.id }, 'demo tenant created');
  print(firstRunBlock(baseUrl, tenant));
  return tenant;
}
