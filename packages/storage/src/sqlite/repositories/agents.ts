import type { Agent, AgentRepository, Visibility } from '@gateway/core';
import type { Connection } from '../connection';
import { agentHandleTaken, agentIdTaken, guarded, phoneNumberInUse } from '../constraints';
import { listPage } from '../paging';
import { AGENT_SUMMARY_COLUMNS, agentFromRow, agentParams, agentSummaryFromRaw, type AgentRow, type AgentSummaryRaw } from '../rows';

/** R1 and R4 are enforced by partial unique indexes; their failures become the core's errors. */
const translate = (agent: Agent) => (target: string) => {
  switch (target) {
    case 'agents.id':
      return agentIdTaken(agent.id);
    case 'agents.phone_number_id':
      return phoneNumberInUse(agent.phoneNumberId);
    case 'agents_org_handle_live_uq':
      return agentHandleTaken(agent.handle);
    default:
      return undefined;
  }
};

/**
 * The caller's live agents. With `ownerUserId`, only agents on a number that user owns (a number
 * deleted since still counts as owned), so agents without a number are invisible there.
 */
function visible(v: Visibility): { where: string[]; params: Record<string, unknown> } {
  const where = ['a.org_id = @org_id', 'a.deleted_at IS NULL'];
  if (v.ownerUserId !== undefined) {
    // Correlated, so each agent costs one primary-key probe (a user may own tens of thousands of numbers).
    where.push('EXISTS (SELECT 1 FROM phone_numbers p WHERE p.id = a.phone_number_id AND p.org_id = @org_id AND p.user_id = @owner_user_id)');
  }
  return { where, params: { org_id: v.orgId, owner_user_id: v.ownerUserId } };
}

export function agentRepository(conn: Connection): AgentRepository {
  return {
    async insert(agent) {
      guarded(
        () =>
          conn
            .stmt(
              `INSERT INTO agents (id, org_id, user_id, handle, name, description, instructions, instructions_html, prompt_id,
                 phone_number_id, model, color, avatar, include_system_prompt, tools, connectors, sub_agents, data_sources,
                 is_active, deactivated_reason, deactivated_at, created_at, updated_at, deleted_at)
               VALUES (@id, @org_id, @user_id, @handle, @name, @description, @instructions, @instructions_html, @prompt_id,
                 @phone_number_id, @model, @color, @avatar, @include_system_prompt, @tools, @connectors, @sub_agents, @data_sources,
                 @is_active, @deactivated_reason, @deactivated_at, @created_at, @updated_at, @deleted_at)`,
            )
            .run(agentParams(agent)),
        translate(agent),
      );
    },
    async update(agent) {
      guarded(
        () =>
          conn
            .stmt(
              `UPDATE agents SET org_id = @org_id, user_id = @user_id, handle = @handle, name = @name,
                 description = @description, instructions = @instructions, instructions_html = @instructions_html,
                 prompt_id = @prompt_id, phone_number_id = @phone_number_id, model = @model, color = @color, avatar = @avatar,
                 include_system_prompt = @include_system_prompt, tools = @tools, connectors = @connectors,
                 sub_agents = @sub_agents, data_sources = @data_sources, is_active = @is_active,
                 deactivated_reason = @deactivated_reason, deactivated_at = @deactivated_at,
                 created_at = @created_at, updated_at = @updated_at, deleted_at = @deleted_at
               WHERE id = @id`,
            )
            .run(agentParams(agent)),
        translate(agent),
      );
    },
    async get(v, id) {
      // The hottest read of both dialects: while nothing is written, the reader answers from its cache.
      return conn.cached(`agent\0${v.orgId}\0${v.ownerUserId ?? ''}\0${id}`, () => {
        const { where, params } = visible(v);
        const row = conn.stmt(`SELECT a.* FROM agents a WHERE a.id = @id AND ${where.join(' AND ')}`).get({ ...params, id }) as
          | AgentRow
          | undefined;
        return row ? agentFromRow(row) : null;
      });
    },
    async idExists(id) {
      return conn.stmt('SELECT 1 FROM agents WHERE id = ?').get(id) !== undefined;
    },
    async list(v, filter, page) {
      return conn.cached(`agents\0${JSON.stringify([v.orgId, v.ownerUserId ?? null, filter.phoneNumberId ?? null, page])}`, () => {
        const { where, params } = visible(v);
        if (filter.phoneNumberId !== undefined) {
          where.push('a.phone_number_id = @phone_number_id');
          params.phone_number_id = filter.phoneNumberId;
        }
        return listPage(
          conn,
          {
            columns: AGENT_SUMMARY_COLUMNS,
            from: 'agents a',
            where,
            params,
            at: 'a.created_at',
            id: 'a.id',
            direction: 'DESC',
            map: (row: AgentSummaryRaw) => agentSummaryFromRaw(row),
            raw: true,
            keyOf: (a) => ({ at: a.createdAt, id: a.id }),
          },
          page,
        );
      });
    },
    async activeOnPhoneNumber(phoneNumberId) {
      const row = conn
        .stmt('SELECT * FROM agents WHERE phone_number_id = ? AND deleted_at IS NULL AND is_active = 1')
        .get(phoneNumberId) as AgentRow | undefined;
      return row ? agentFromRow(row) : null;
    },
    async countLive(orgId) {
      const { n } = conn.stmt('SELECT count(*) AS n FROM agents WHERE org_id = ? AND deleted_at IS NULL').get(orgId) as { n: number };
      return n;
    },
    async handlesWithPrefix(orgId, prefix) {
      const rows = conn
        .stmt(
          `SELECT lower(handle) AS handle FROM agents
           WHERE org_id = @org_id AND deleted_at IS NULL AND lower(handle) >= @low AND lower(handle) < @high`,
        )
        .all({ org_id: orgId, low: prefix.toLowerCase(), high: `${prefix.toLowerCase()}\u{10FFFF}` }) as { handle: string }[];
      return rows.map((r) => r.handle);
    },
    async liveIds(orgId, ids) {
      if (ids.length === 0) return [];
      const rows = conn
        .stmt('SELECT id FROM agents WHERE org_id = ? AND deleted_at IS NULL AND id IN (SELECT value FROM json_each(?))')
        .all(orgId, JSON.stringify(ids)) as { id: string }[];
      const live = new Set(rows.map((r) => r.id));
      return ids.filter((id) => live.has(id));
    },
    async subAgentGraph(orgId) {
      const rows = conn.stmt('SELECT id, sub_agents FROM agents WHERE org_id = ? AND deleted_at IS NULL').all(orgId) as {
        id: string;
        sub_agents: string;
      }[];
      return new Map(rows.map((r) => [r.id, JSON.parse(r.sub_agents) as string[]]));
    },
  };
}
