import { notFound } from '../../errors';
import type { Agent, AgentSummary } from '../../model';
import type { AgentFilter, PageRequest, PageResult } from '../../ports';
import { requireScope, type Ctx } from '../context';

export function getAgent() {
  return async ({ ctx, id }: { ctx: Ctx; id: string }): Promise<Agent> => {
    requireScope(ctx.actor, 'agents:read');
    const agent = await ctx.uow.read((repos) => repos.agents.get(ctx.actor.visibility, id));
    if (!agent) throw notFound('agent', id);
    return agent;
  };
}

export function listAgents() {
  return async ({ ctx, filter, page }: { ctx: Ctx; filter: AgentFilter; page: PageRequest }): Promise<PageResult<AgentSummary>> => {
    requireScope(ctx.actor, 'agents:read');
    return ctx.uow.read((repos) => repos.agents.list(ctx.actor.visibility, filter, page));
  };
}
