import { DomainError, notFound, validationFailed } from '../../errors';
import type { Agent } from '../../model';
import { applyAgentFields, NEW_AGENT_DEFAULTS, type AgentFieldsInput } from '../../rules/agent-fields';
import { firstFreeHandle, handleFromName } from '../../rules/handle';
import { CLIENT_AGENT_ID_PATTERN } from '../../rules/limits';
import { requireScope, type CoreDeps, type Ctx } from '../context';
import { assertUnderPlanLimit, checkSubAgents, resolvePhoneNumber } from './references';
import { archiveOnTakeover, assertNumberFree } from './takeover';

export interface CreateAgentInput extends Omit<AgentFieldsInput, 'isActive' | 'deactivatedReason'> {
  name: string;
  /** A client-chosen id (legacy clients that name their own agents). */
  id?: string;
}

export function createAgent(deps: CoreDeps) {
  return async ({ ctx, input }: { ctx: Ctx; input: CreateAgentInput }): Promise<Agent> => {
    const { actor } = ctx;
    requireScope(actor, 'agents:write');

    const { fields, issues } = applyAgentFields({ ...NEW_AGENT_DEFAULTS, handle: '', name: '' }, input, deps.html);
    if (input.id !== undefined && !CLIENT_AGENT_ID_PATTERN.test(input.id)) {
      issues.unshift({ field: 'agent_id', rule: 'invalid', message: 'agent_id must be 1-64 characters of letters, digits, "_" or "-"' });
    }
    if (issues.length > 0) throw validationFailed(issues);

    return ctx.uow.write(async (repos) => {
      // R1, R4, R7, R10 decide on what this write reads: one agent write per org at a time.
      await repos.locks.org(actor.orgId);
      const org = await repos.orgs.get(actor.orgId);
      if (!org) throw notFound('org', actor.orgId);

      const phone = fields.phoneNumberId === null ? null : await resolvePhoneNumber(repos, actor.visibility, fields.phoneNumberId);
      await assertUnderPlanLimit(repos, org.id, deps.planLimits[org.plan]);

      const id = input.id ?? deps.ids.next('agent');
      if (input.id !== undefined && (await repos.agents.idExists(id))) {
        throw new DomainError('agent_id_taken', `Agent with ID ${id} already exists`, { entity: 'agent', id });
      }
      await checkSubAgents(repos, org.id, id, fields.subAgents);
      if (input.handle === undefined) {
        const base = handleFromName(fields.name);
        fields.handle = firstFreeHandle(base, new Set(await repos.agents.handlesWithPrefix(org.id, base)));
      }
      if (phone) await assertNumberFree(repos, id, phone.id);

      const now = deps.clock.now();
      const agent: Agent = {
        ...fields,
        id,
        orgId: org.id,
        userId: phone?.userId ?? actor.visibility.ownerUserId ?? actor.keyUserId,
        isActive: true,
        deactivatedReason: null,
        deactivatedAt: null,
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      };
      await repos.agents.insert(agent);
      await archiveOnTakeover(repos, deps, agent);
      return agent;
    });
  };
}
