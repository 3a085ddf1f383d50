import { notFound, validationFailed } from '../../errors';
import type { Agent } from '../../model';
import { applyAgentFields, type AgentFieldsInput } from '../../rules/agent-fields';
import { requireScope, type CoreDeps, type Ctx } from '../context';
import { checkSubAgents, resolvePhoneNumber } from './references';
import { archiveOnTakeover, assertNumberFree } from './takeover';

export type UpdateAgentInput = AgentFieldsInput;

export function updateAgent(deps: CoreDeps) {
  return async ({ ctx, id, input }: { ctx: Ctx; id: string; input: UpdateAgentInput }): Promise<Agent> => {
    const { actor } = ctx;
    requireScope(actor, 'agents:write');

    return ctx.uow.write(async (repos) => {
      // R1, R4, R7 decide on what this write reads, and the agent is written back whole: one agent
      // write per org at a time, and the agent read after the lock, so no PATCH is lost.
      await repos.locks.org(actor.orgId);
      const existing = await repos.agents.get(actor.visibility, id);
      if (!existing) throw notFound('agent', id);

      const { fields, issues } = applyAgentFields(existing, input, deps.html);
      const isActive = input.isActive ?? existing.isActive;
      if (isActive && input.deactivatedReason != null) {
        // An active agent has no deactivation reason: keeping it silently would lose it.
        issues.push({
          field: 'deactivated_reason',
          rule: 'not_allowed',
          message: 'deactivated_reason is only kept for an inactive agent (send it with is_active false)',
        });
      }
      if (issues.length > 0) throw validationFailed(issues);

      const phoneChanged = fields.phoneNumberId !== existing.phoneNumberId;
      let userId = existing.userId;
      if (fields.phoneNumberId !== null && (phoneChanged || (isActive && !existing.isActive))) {
        // R12: a number the agent moves to, or is re-activated on, must still be there.
        const phone = await resolvePhoneNumber(repos, actor.visibility, fields.phoneNumberId);
        // An agent belongs to the owner of its number.
        if (phoneChanged) userId = phone.userId;
      }
      if (input.subAgents !== undefined) await checkSubAgents(repos, existing.orgId, existing.id, fields.subAgents);

      const now = deps.clock.now();
      let { deactivatedAt, deactivatedReason } = existing;
      if (!isActive) {
        if (existing.isActive) deactivatedAt = now;
        if (input.deactivatedReason !== undefined) deactivatedReason = input.deactivatedReason;
      } else {
        deactivatedAt = null;
        deactivatedReason = null;
      }

      const updated: Agent = { ...existing, ...fields, userId, isActive, deactivatedAt, deactivatedReason, updatedAt: now };
      const takesOver = isActive && updated.phoneNumberId !== null && (phoneChanged || !existing.isActive);
      if (takesOver) await assertNumberFree(repos, updated.id, updated.phoneNumberId as string);
      await repos.agents.update(updated);
      if (takesOver) await archiveOnTakeover(repos, deps, updated);
      return updated;
    });
  };
}
