import { notFound, validationFailed } from '../../errors';
import type { Org, Plan } from '../../model';
import { PLANS } from '../../model';
import type { UnitOfWork } from '../../ports';
import { requireScope, type CoreDeps, type Ctx } from '../context';

export function createOrg(deps: CoreDeps) {
  return async ({ uow, input }: { uow: UnitOfWork; input: { name: string; plan?: string } }): Promise<Org> => {
    const name = input.name.trim();
    const plan = input.plan ?? 'free';
    const issues = [];
    if (name.length < 1 || name.length > 255) issues.push({ field: 'name', rule: 'length', message: 'name must be 1-255 characters' });
    if (!(PLANS as readonly string[]).includes(plan)) issues.push({ field: 'plan', rule: 'invalid', message: 'plan must be one of free, pro, enterprise' });
    if (issues.length > 0) throw validationFailed(issues);
    const now = deps.clock.now();
    const org: Org = { id: deps.ids.next('org'), name, plan: plan as Plan, createdAt: now, updatedAt: now };
    await uow.write((repos) => repos.orgs.insert(org));
    return org;
  };
}

/** How many orgs the database holds; the gateway seeds its demo tenant only while there are none. */
export function countOrgs() {
  return ({ uow }: { uow: UnitOfWork }): Promise<number> => uow.read((repos) => repos.orgs.count());
}

/** Every org, newest first: the admin CLI's `orgs list`. */
export function listOrgs() {
  return ({ uow }: { uow: UnitOfWork }): Promise<Org[]> => uow.read((repos) => repos.orgs.list());
}

export interface OrgSummary {
  org: Org;
  agentLimit: number | null;
  agentCount: number;
}

export function getOrgSummary(deps: CoreDeps) {
  return async ({ ctx }: { ctx: Ctx }): Promise<OrgSummary> => {
    requireScope(ctx.actor, 'org:read');
    return ctx.uow.read(async (repos) => {
      const org = await repos.orgs.get(ctx.actor.orgId);
      if (!org) throw notFound('org', ctx.actor.orgId);
      return { org, agentLimit: deps.planLimits[org.plan], agentCount: await repos.agents.countLive(org.id) };
    });
  };
}
