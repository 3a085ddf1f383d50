import { createCore, SCOPES, type Actor, type Ctx, type Plan, type PlanLimits } from '../src';
import { createMemoryUnitOfWork, testDeps } from '../src/testing';

/** A fresh world: one org with two users, each owning a WhatsApp number, and actors for both dialects. */
export async function world(options: { plan?: Plan; planLimits?: PlanLimits; replies?: { debounceMs: number; maxWaitMs: number } } = {}) {
  const deps = testDeps({ ...(options.planLimits ? { planLimits: options.planLimits } : {}), ...(options.replies ? { replies: options.replies } : {}) });
  const uow = createMemoryUnitOfWork();
  const core = createCore(deps);
  const org = await core.createOrg({ uow, input: { name: 'Acme', plan: options.plan ?? 'pro' } });
  const alice = await core.createUser({ uow, input: { orgId: org.id, name: 'Alice', email: 'alice@acme.test' } });
  const bob = await core.createUser({ uow, input: { orgId: org.id, name: 'Bob' } });
  const { key } = await core.createApiKey({ uow, input: { orgId: org.id, scopes: [...SCOPES] } });

  const orgActor: Actor = core.actorFor(key);
  const userActor = (userId: string): Actor => core.actorFor(key, userId);
  const ctx = (actor: Actor = orgActor): Ctx => ({ actor, uow });

  const aliceNumber = await core.addPhoneNumber({
    ctx: ctx(userActor(alice.id)),
    input: { platform: 'whatsapp', metaPhoneNumberId: '106540352242922', accessToken: 'EAAG-secret-token', wabaId: '102290129340398' },
  });
  const bobNumber = await core.addPhoneNumber({
    ctx: ctx(userActor(bob.id)),
    input: { platform: 'instagram', metaPhoneNumberId: '17841234567890123', accessToken: 'IGQ-secret-token' },
  });

  /** A second org, to prove tenancy. */
  const other = await core.createOrg({ uow, input: { name: 'Other', plan: 'pro' } });
  const carol = await core.createUser({ uow, input: { orgId: other.id, name: 'Carol' } });
  const { key: otherKey } = await core.createApiKey({ uow, input: { orgId: other.id, scopes: [...SCOPES] } });
  const otherActor = core.actorFor(otherKey);
  const otherNumber = await core.addPhoneNumber({
    ctx: { actor: core.actorFor(otherKey, carol.id), uow },
    input: { platform: 'whatsapp', metaPhoneNumberId: '55500011122', accessToken: 'EAAG-other-token' },
  });

  return { deps, uow, core, org, alice, bob, key, orgActor, userActor, ctx, aliceNumber, bobNumber, other, otherActor, otherNumber };
}

export const instructions = 'Answer order questions.';
