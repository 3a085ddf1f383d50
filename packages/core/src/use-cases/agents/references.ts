import { DomainError, referenceNotFound, validationFailed } from '../../errors';
import type { Repositories, Visibility } from '../../ports';
import { handoffProblem } from '../../rules/sub-agents';
import { HANDOFF_DEPTH_MAX } from '../../rules/limits';

/** R12: the number must be live and visible to the caller. */
export async function resolvePhoneNumber(repos: Repositories, visibility: Visibility, id: string) {
  const phone = await repos.phoneNumbers.get(visibility, id);
  if (!phone) throw referenceNotFound('phone_number', 'phone_number_id', id);
  return phone;
}

/** R7: sub-agents are live agents of the org, never the agent itself, in an acyclic graph at most 3 deep. */
export async function checkSubAgents(repos: Repositories, orgId: string, agentId: string, subAgents: readonly string[]) {
  if (subAgents.includes(agentId)) {
    throw validationFailed([{ field: 'sub_agents', rule: 'self', message: 'sub_agents must not include the agent itself' }]);
  }
  if (subAgents.length === 0) return;
  const live = new Set(await repos.agents.liveIds(orgId, subAgents));
  const unknown = subAgents.flatMap((id, i) => (live.has(id) ? [] : [{ id, field: `sub_agents.${i}` }]));
  const [first] = unknown;
  if (first !== undefined) {
    // Every unknown id, each named by its place in the list.
    throw new DomainError('reference_not_found', 'Agent not found', {
      entity: 'agent',
      field: 'sub_agents',
      id: first.id,
      issues: unknown.map(({ id, field }) => ({ field, rule: 'not_found', message: `${field} references unknown agent ${id}` })),
    });
  }
  const problem = handoffProblem(await repos.agents.subAgentGraph(orgId), agentId, subAgents);
  if (problem === 'cycle') {
    throw validationFailed([{ field: 'sub_agents', rule: 'cycle', message: 'sub_agents must not form a hand-off cycle' }]);
  }
  if (problem === 'too_deep') {
    throw validationFailed([
      { field: 'sub_agents', rule: 'too_deep', message: `sub_agents must keep hand-off chains at most ${HANDOFF_DEPTH_MAX} agents deep` },
    ]);
  }
}

/** R10: the org may not hold more live agents than its plan allows. */
export async function assertUnderPlanLimit(repos: Repositories, orgId: string, limit: number | null) {
  if (limit === null) return;
  const count = await repos.agents.countLive(orgId);
  if (count >= limit) {
    throw new DomainError('plan_limit_reached', `Agent limit of ${limit} reached for this plan`, {
      issues: [{ field: 'plan', rule: 'limit_reached', message: `Agent limit of ${limit} reached for this plan` }],
    });
  }
}
