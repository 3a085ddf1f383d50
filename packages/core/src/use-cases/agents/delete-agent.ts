import { notFound } from '../../errors';
import type { Agent } from '../../model';
import { requireScope, type CoreDeps, type Ctx } from '../context';

/** R3: soft delete. The handle and the number are free again; the conversations stay. */
export function deleteAgent(deps: CoreDeps) {
  return async ({ ctx, id }: { ctx: Ctx; id: string }): Promise<Agent> => {
    requireScope(ctx.actor, 'agents:delete');
    return ctx.uow.write(async (repos) => {
      await repos.locks.org(ctx.actor.orgId);
      const agent = await repos.agents.get(ctx.actor.visibility, id);
      if (!agent) throw notFound('agent', id);
      const now = deps.clock.now();
      const deleted: Agent = { ...agent, deletedAt: now, updatedAt: now };
      await repos.agents.update(deleted);
      return deleted;
    });
  };
}
