import { z } from '@hono/zod-openapi';
import {
  AVATAR_URL_MAX,
  AVATAR_URL_PATTERN,
  COLOR_PATTERN,
  CONNECTOR_ID_PATTERN,
  DATA_SOURCES_MAX,
  DEACTIVATED_REASON_MAX,
  DEFAULT_COLOR,
  DESCRIPTION_MAX,
  DOCUMENTS_MAX,
  DOCUMENT_ID_PATTERN,
  HANDLE_MAX,
  HANDLE_PATTERN,
  INSTRUCTIONS_MAX,
  MODEL_PATTERN,
  NAME_MAX,
  PROMPT_ID_PATTERN,
  SOURCE_ID_PATTERN,
  SUB_AGENTS_MAX,
  TOOLS_MAX,
  TOOL_NAME_MAX,
  TOOL_NAME_PATTERN,
  normalizeId,
  type Agent,
  type AgentFieldsInput,
  type AgentSummary as CoreAgentSummary,
  type CreateAgentInput,
} from '@gateway/core';
import { iso, isoOrNull, NOT_BLANK, Timestamp } from './common';

// ---- request fields: the rules' own constants, so the OpenAPI document and the core agree -------
//
// zod checks what it can say in its own words (types, lengths, patterns), each problem a `details`
// entry. What only the core checks (R5's "one of", R6's repeated connectors, R8's documents, R9's
// avatar) is stated as OpenAPI metadata from the same constants, so the document says it while the
// core's message stays the one a client gets.

const handle = z
  .string()
  .min(1)
  .max(HANDLE_MAX)
  .regex(HANDLE_PATTERN, 'must start with a letter and contain only letters and digits')
  .openapi({ description: 'camelCase alphanumeric; unique within the org, compared case-insensitively.', example: 'wismo' });
const name = z.string().trim().min(1).max(NAME_MAX).openapi({ description: 'Display name (trimmed).', pattern: NOT_BLANK, example: 'WISMO' });
const description = z.string().max(DESCRIPTION_MAX).nullable().openapi({ description: 'Short summary.' });
const instructions = z
  .string()
  .max(INSTRUCTIONS_MAX)
  .nullable()
  .openapi({ description: 'Plain text. Required unless instructions_html or prompt_id is given.' });
const instructionsHtml = z
  .string()
  .max(INSTRUCTIONS_MAX)
  .nullable()
  .openapi({ description: 'Rich text, sanitized to p, br, strong, b, em, i, u, ul, ol, li, a[href], code, pre, blockquote, h1-h6. Plain text is derived from it when instructions is absent.' });
const promptId = z
  .string()
  .regex(PROMPT_ID_PATTERN, 'must be 1-255 characters of letters, digits, "_", ".", ":" or "-"')
  .nullable()
  .openapi({ description: 'An OpenAI prompt id, as in the legacy dialect.', example: 'pmpt_68de2bd8' });
const model = z
  .string()
  .regex(MODEL_PATTERN, 'must be 1-64 characters of letters, digits, ".", "_", ":" or "-"')
  .nullable()
  .openapi({ description: 'Model id; null means the org default.', example: 'gpt-5' });
const color = z
  .string()
  .regex(COLOR_PATTERN, 'must be a hex color like #6366f1')
  .nullable()
  .openapi({ description: `Hex color; null resets to ${DEFAULT_COLOR}.`, example: DEFAULT_COLOR });
const avatar = z
  .string()
  .max(AVATAR_URL_MAX)
  .nullable()
  .openapi({
    description: `One emoji (a single grapheme) or an https:// URL of at most ${AVATAR_URL_MAX} characters.`,
    // The URL side is the core's own pattern. The core's emoji pattern uses Unicode property
    // classes, which JSON Schema validators do not all read (Spectral's does not), so the document
    // only says what every emoji starts with: a character beyond ASCII, or a keycap.
    pattern: `^(?:[^\\x00-\\x7F]|[#*0-9]\\uFE0F?\\u20E3)|${AVATAR_URL_PATTERN.source}`,
    example: '📦',
  });
const includeSystemPrompt = z.boolean().openapi({ description: 'Defaults to true.' });
const connectorId = z.string().regex(CONNECTOR_ID_PATTERN, 'must be a connector_ id');

export const ToolRefInput = z
  .strictObject({
    name: z.string().max(TOOL_NAME_MAX).regex(TOOL_NAME_PATTERN, 'must be lower-case letters, digits and "_", starting with a letter'),
    connector_id: connectorId.nullable().optional().openapi({ description: 'null (or absent) for built-in and knowledge tools.' }),
  })
  .openapi('ToolRefInput');
export const DataSourceRefInput = z
  .strictObject({
    source_id: z.string().regex(SOURCE_ID_PATTERN, 'must be a source_ id'),
    scope: z.enum(['all', 'selected']),
    documents: z
      .array(z.string().regex(DOCUMENT_ID_PATTERN, 'must be a doc_ id'))
      .max(DOCUMENTS_MAX)
      .optional()
      .openapi({ description: `Required (1-${DOCUMENTS_MAX}) when scope is selected; empty or absent when scope is all.` }),
  })
  .openapi('DataSourceRefInput', {
    // R8, checked by the core.
    allOf: [
      {
        anyOf: [
          { properties: { scope: { const: 'all' }, documents: { type: 'array', items: { type: 'string' }, maxItems: 0 } } },
          { required: ['documents'], properties: { scope: { const: 'selected' }, documents: { type: 'array', items: { type: 'string' }, minItems: 1 } } },
        ],
      },
    ],
  });

const tools = z.array(ToolRefInput).max(TOOLS_MAX);
const connectors = z
  .array(connectorId)
  .max(TOOLS_MAX)
  .openapi({ description: "Derived from tools[].connector_id when omitted; must include every tool's connector.", uniqueItems: true });
const subAgents = z
  .array(z.string().min(1).max(128))
  .max(SUB_AGENTS_MAX)
  .openapi({
    description: 'Agent ids (prefixed or bare) of this org to hand off to; not the agent itself, no cycles, at most 3 levels.',
    uniqueItems: true,
  });
const dataSources = z.array(DataSourceRefInput).max(DATA_SOURCES_MAX);
const phoneNumberId = z
  .string()
  .min(1)
  .max(128)
  .nullable()
  .openapi({ description: 'A phone number of the org (prefixed or bare id) this agent answers on.' });

const writableFields = {
  handle,
  name,
  description: description.optional(),
  instructions: instructions.optional(),
  instructions_html: instructionsHtml.optional(),
  prompt_id: promptId.optional(),
  model: model.optional(),
  color: color.optional(),
  avatar: avatar.optional(),
  include_system_prompt: includeSystemPrompt.optional(),
  tools: tools.optional(),
  connectors: connectors.optional(),
  sub_agents: subAgents.optional(),
  data_sources: dataSources.optional(),
  phone_number_id: phoneNumberId.optional(),
};

export const CreateAgentBody = z.strictObject(writableFields).openapi('CreateAgentRequest', {
  // R5, checked by the core: instructions (not blank), instructions_html (not blank) or a prompt_id.
  allOf: [
    {
      anyOf: [
        { required: ['instructions'], properties: { instructions: { type: 'string', pattern: NOT_BLANK } } },
        { required: ['instructions_html'], properties: { instructions_html: { type: 'string', pattern: NOT_BLANK } } },
        { required: ['prompt_id'], properties: { prompt_id: { type: 'string' } } },
      ],
    },
  ],
  // The WISMO agent of the published page org-scoped-create-agent.md.
  example: {
    handle: 'wismo',
    name: 'WISMO',
    instructions: 'Answer Where Is My Order questions using the Shopify order tool. Never make up tracking info.',
    model: 'gpt-5',
    tools: [
      { name: 'shopify_get_order', connector_id: 'connector_shopify' },
      { name: 'shopify_search_orders', connector_id: 'connector_shopify' },
      { name: 'zendesk_add_public_reply', connector_id: 'connector_zendesk' },
    ],
  },
});
export type CreateAgentBody = z.infer<typeof CreateAgentBody>;

export const UpdateAgentBody = z
  .strictObject({
    ...writableFields,
    handle: handle.optional(),
    name: name.optional(),
    is_active: z.boolean().optional().openapi({ description: 'false deactivates (sets deactivated_at); true re-activates (clears both).' }),
    deactivated_reason: z.string().max(DEACTIVATED_REASON_MAX).nullable().optional(),
  })
  .openapi('UpdateAgentRequest', {
    example: { instructions: 'Answer Where Is My Order questions in English or Spanish. Never make up tracking info.', color: '#0ea5e9' },
  });
export type UpdateAgentBody = z.infer<typeof UpdateAgentBody>;

const agentRef = (id: string) => normalizeId('agent', id) ?? id;
const phoneRef = (id: string | null) => (id === null ? null : (normalizeId('pn', id) ?? id));

/** An org body as the core's agent fields: snake_case to camelCase; absent stays absent. */
export function toAgentFields(body: Partial<UpdateAgentBody>): AgentFieldsInput {
  const fields: AgentFieldsInput = {
    handle: body.handle,
    name: body.name,
    description: body.description,
    instructions: body.instructions,
    instructionsHtml: body.instructions_html,
    promptId: body.prompt_id,
    model: body.model,
    color: body.color,
    avatar: body.avatar,
    includeSystemPrompt: body.include_system_prompt,
    tools: body.tools?.map((t) => ({ name: t.name, connectorId: t.connector_id ?? null })),
    connectors: body.connectors,
    subAgents: body.sub_agents?.map(agentRef),
    dataSources: body.data_sources?.map((s) => ({ sourceId: s.source_id, scope: s.scope, documents: s.documents ?? [] })),
    phoneNumberId: body.phone_number_id === undefined ? undefined : phoneRef(body.phone_number_id),
    isActive: body.is_active,
    deactivatedReason: body.deactivated_reason,
  };
  for (const key of Object.keys(fields) as (keyof AgentFieldsInput)[]) if (fields[key] === undefined) delete fields[key];
  return fields;
}

export const toCreateInput = (body: CreateAgentBody): CreateAgentInput => ({ ...toAgentFields(body), name: body.name, handle: body.handle });

// ---- responses ----------------------------------------------------------------------------------

const agentSummaryFields = {
  id: z.string().openapi({ example: 'agent_6a39a4f1c0ef2ec711ef6dc1' }),
  handle: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  model: z.string().nullable(),
  is_active: z.boolean(),
  color: z.string(),
  avatar: z.string().nullable(),
  tools_count: z.number().int(),
  sub_agents_count: z.number().int(),
  phone_number_id: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const AgentSummarySchema = z.object(agentSummaryFields).openapi('AgentSummary');
export type AgentSummary = z.infer<typeof AgentSummarySchema>;

// The summary's fields spread in, not `.extend`ed: the document then describes Agent as one flat
// object rather than an allOf, which reference UIs render (and their examples show) in full.
export const AgentSchema = z.object({
  ...agentSummaryFields,
  instructions: z.string().nullable(),
  instructions_html: z.string().nullable(),
  include_system_prompt: z.boolean(),
  tools: z.array(z.object({ name: z.string(), connector_id: z.string().nullable() })),
  connectors: z.array(z.string()),
  sub_agents: z.array(z.string()),
  data_sources: z.array(z.object({ source_id: z.string(), scope: z.enum(['all', 'selected']), documents: z.array(z.string()) })),
  prompt_id: z.string().nullable(),
  deactivated_reason: z.string().nullable(),
  deactivated_at: Timestamp.nullable(),
}).openapi('Agent');
export type AgentView = z.infer<typeof AgentSchema>;

export function toAgentSummary(a: CoreAgentSummary): AgentSummary {
  return {
    id: a.id,
    handle: a.handle,
    name: a.name,
    description: a.description,
    model: a.model,
    is_active: a.isActive,
    color: a.color,
    avatar: a.avatar,
    tools_count: a.toolsCount,
    sub_agents_count: a.subAgentsCount,
    phone_number_id: a.phoneNumberId,
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
  };
}

/** The summary's fields first, then the rest; built in one object (this renders every read of an agent). */
export function toAgent(a: Agent): AgentView {
  return {
    id: a.id,
    handle: a.handle,
    name: a.name,
    description: a.description,
    model: a.model,
    is_active: a.isActive,
    color: a.color,
    avatar: a.avatar,
    tools_count: a.tools.length,
    sub_agents_count: a.subAgents.length,
    phone_number_id: a.phoneNumberId,
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
    instructions: a.instructions,
    instructions_html: a.instructionsHtml,
    include_system_prompt: a.includeSystemPrompt,
    tools: a.tools.map((t) => ({ name: t.name, connector_id: t.connectorId })),
    connectors: [...a.connectors],
    sub_agents: [...a.subAgents],
    data_sources: a.dataSources.map((s) => ({ source_id: s.sourceId, scope: s.scope, documents: s.scope === 'all' ? [] : [...s.documents] })),
    prompt_id: a.promptId,
    deactivated_reason: a.deactivatedReason,
    deactivated_at: isoOrNull(a.deactivatedAt),
  };
}

export const DeletedSchema = z.object({ id: z.string(), deleted: z.literal(true) }).openapi('Deleted');
