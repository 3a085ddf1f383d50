import { DomainError } from '../../errors';
import type { Agent } from '../../model';
import type { Repositories } from '../../ports';
import type { CoreDeps } from '../context';

export const ARCHIVE_REASON_AGENT_REPLACED = 'agent_replaced';

/** R1: refuses when another active agent holds the number the agent is about to become active on. */
export async function assertNumberFree(repos: Repositories, agentId: string, phoneNumberId: string): Promise<void> {
  // Held to the end of the agent write: an inbound message cannot open or extend a conversation of
  // the previous agent between this check and the archival (R2).
  await repos.locks.phoneNumber(phoneNumberId);
  const holder = await repos.agents.activeOnPhoneNumber(phoneNumberId);
  if (holder && holder.id !== agentId) {
    throw new DomainError('phone_number_in_use', 'Phone number already has an active agent', {
      entity: 'phone_number',
      id: phoneNumberId,
    });
  }
}

/**
 * R2: the agent has just become the active agent of its number: archive the number's active
 * conversations that belong to other agents, and record each agent's archival. Runs inside the
 * transaction of the agent write.
 */
export async function archiveOnTakeover(repos: Repositories, deps: CoreDeps, agent: Agent): Promise<number> {
  if (agent.phoneNumberId === null) return 0;
  const at = deps.clock.now();
  const groups = await repos.conversations.archiveOthers(agent.phoneNumberId, agent.id, at, ARCHIVE_REASON_AGENT_REPLACED);
  let total = 0;
  for (const group of groups) {
    total += group.count;
    await repos.archivals.insert({
      id: deps.ids.next('arc'),
      orgId: agent.orgId,
      phoneNumberId: agent.phoneNumberId,
      previousAgentId: group.agentId,
      newAgentId: agent.id,
      conversationsArchived: group.count,
      createdAt: at,
    });
  }
  return total;
}
