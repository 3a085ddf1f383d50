import { z } from '@hono/zod-openapi';
import type { OrgSummary } from '@gateway/core';
import { iso, Timestamp } from './common';

export const OrgSchema = z
  .object({
    id: z.string().openapi({ example: 'org_6a39a4f1c0ef2ec711ef6dc1' }),
    name: z.string(),
    plan: z.enum(['free', 'pro', 'enterprise']),
    limits: z.object({ agents: z.number().int().nullable().openapi({ description: 'null means unlimited.' }) }),
    usage: z.object({ agents: z.number().int().openapi({ description: 'Agents that are not deleted.' }) }),
    created_at: Timestamp,
  })
  .openapi('Organization');
export type OrgView = z.infer<typeof OrgSchema>;

export function toOrg(s: OrgSummary): OrgView {
  return {
    id: s.org.id,
    name: s.org.name,
    plan: s.org.plan,
    limits: { agents: s.agentLimit },
    usage: { agents: s.agentCount },
    created_at: iso(s.org.createdAt),
  };
}
