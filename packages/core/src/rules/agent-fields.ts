import type { Issue } from '../errors';
import type { Agent, DataSourceRef, ToolRef } from '../model';
import type { HtmlSanitizer } from '../ports';
import { handleIssue } from './handle';
import {
  AVATAR_EMOJI_PATTERN,
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
  INSTRUCTIONS_MAX,
  MODEL_PATTERN,
  NAME_MAX,
  PROMPT_ID_PATTERN,
  SOURCE_ID_PATTERN,
  SUB_AGENTS_MAX,
  TOOLS_MAX,
  TOOL_NAME_MAX,
  TOOL_NAME_PATTERN,
} from './limits';

/** The agent fields a client may write, in either dialect. Absent means "not given". */
export interface AgentFieldsInput {
  handle?: string;
  name?: string;
  description?: string | null;
  instructions?: string | null;
  instructionsHtml?: string | null;
  promptId?: string | null;
  model?: string | null;
  color?: string | null;
  avatar?: string | null;
  includeSystemPrompt?: boolean;
  tools?: ToolRef[];
  connectors?: string[];
  subAgents?: string[];
  dataSources?: DataSourceRef[];
  phoneNumberId?: string | null;
  isActive?: boolean;
  deactivatedReason?: string | null;
}

/** The fields an agent has before it is written; identity, ownership and times come from the use case. */
export type AgentFields = Pick<
  Agent,
  | 'handle'
  | 'name'
  | 'description'
  | 'instructions'
  | 'instructionsHtml'
  | 'promptId'
  | 'model'
  | 'color'
  | 'avatar'
  | 'includeSystemPrompt'
  | 'tools'
  | 'connectors'
  | 'subAgents'
  | 'dataSources'
  | 'phoneNumberId'
>;

export const NEW_AGENT_DEFAULTS: Omit<AgentFields, 'handle' | 'name'> = {
  description: null,
  instructions: null,
  instructionsHtml: null,
  promptId: null,
  model: null,
  color: DEFAULT_COLOR,
  avatar: null,
  includeSystemPrompt: true,
  tools: [],
  connectors: [],
  subAgents: [],
  dataSources: [],
  phoneNumberId: null,
};

const has = <K extends keyof AgentFieldsInput>(input: AgentFieldsInput, key: K): boolean => input[key] !== undefined;

/**
 * R4 (format), R5, R6, R8, R9 and the shape of R7: applies `input` over `base` and returns the
 * fields with every derived value filled in, and every problem found. Rules that need storage
 * (uniqueness, references, limits, the hand-off graph) are checked by the use cases.
 */
export function applyAgentFields(
  base: AgentFields,
  input: AgentFieldsInput,
  html: HtmlSanitizer,
): { fields: AgentFields; issues: Issue[] } {
  const issues: Issue[] = [];
  const f: AgentFields = { ...base };

  if (has(input, 'handle')) {
    const handle = input.handle as string;
    const issue = handleIssue(handle);
    if (issue) issues.push(issue);
    f.handle = handle;
  }

  if (has(input, 'name')) {
    const name = (input.name as string).trim();
    if (name.length < 1 || name.length > NAME_MAX) {
      issues.push({ field: 'name', rule: 'length', message: `name must be 1-${NAME_MAX} characters` });
    }
    f.name = name;
  }

  if (has(input, 'description')) {
    const description = input.description ?? null;
    if (description !== null && description.length > DESCRIPTION_MAX) {
      issues.push({ field: 'description', rule: 'too_long', message: `description must be at most ${DESCRIPTION_MAX} characters` });
    }
    f.description = description;
  }

  if (has(input, 'promptId')) {
    const promptId = input.promptId ?? null;
    if (promptId !== null && !PROMPT_ID_PATTERN.test(promptId)) {
      issues.push({ field: 'prompt_id', rule: 'invalid', message: 'Invalid prompt_id' });
    }
    f.promptId = promptId;
  }

  if (has(input, 'instructionsHtml')) {
    const raw = input.instructionsHtml ?? null;
    if (raw === null) {
      f.instructionsHtml = null;
    } else if (raw.length > INSTRUCTIONS_MAX) {
      issues.push({ field: 'instructions_html', rule: 'too_long', message: `instructions_html must be at most ${INSTRUCTIONS_MAX} characters` });
    } else {
      const clean = html.sanitize(raw);
      f.instructionsHtml = clean.html;
      if (!has(input, 'instructions')) f.instructions = clean.text === '' ? null : clean.text;
    }
  }

  if (has(input, 'instructions')) {
    const instructions = input.instructions ?? null;
    if (instructions !== null && instructions.length > INSTRUCTIONS_MAX) {
      issues.push({ field: 'instructions', rule: 'too_long', message: `instructions must be at most ${INSTRUCTIONS_MAX} characters` });
    }
    f.instructions = instructions === null || instructions.trim() === '' ? null : instructions;
  }

  const hasHtml = f.instructionsHtml !== null && f.instructionsHtml.trim() !== '';
  if (f.promptId === null && f.instructions === null && !hasHtml) {
    issues.push({
      field: 'instructions',
      rule: 'required',
      message: 'instructions is required unless instructions_html or prompt_id is given',
    });
  }

  if (has(input, 'model')) {
    const model = input.model ?? null;
    if (model !== null && !MODEL_PATTERN.test(model)) {
      issues.push({ field: 'model', rule: 'invalid', message: 'model must be 1-64 characters of letters, digits, ".", "_", ":" or "-"' });
    }
    f.model = model;
  }

  if (has(input, 'color')) {
    const color = input.color ?? DEFAULT_COLOR;
    if (!COLOR_PATTERN.test(color)) {
      issues.push({ field: 'color', rule: 'invalid', message: 'color must be a hex color like #6366f1' });
    }
    f.color = color;
  }

  if (has(input, 'avatar')) {
    const avatar = input.avatar ?? null;
    if (avatar !== null && !isEmoji(avatar) && !isAvatarUrl(avatar)) {
      issues.push({ field: 'avatar', rule: 'invalid', message: `avatar must be one emoji or an https:// URL of at most ${AVATAR_URL_MAX} characters` });
    }
    f.avatar = avatar;
  }

  if (has(input, 'includeSystemPrompt')) f.includeSystemPrompt = input.includeSystemPrompt as boolean;

  if (has(input, 'tools')) {
    const tools = input.tools as ToolRef[];
    if (tools.length > TOOLS_MAX) {
      issues.push({ field: 'tools', rule: 'too_many', message: `tools must have at most ${TOOLS_MAX} items` });
    }
    tools.forEach((tool, i) => {
      if (!TOOL_NAME_PATTERN.test(tool.name) || tool.name.length > TOOL_NAME_MAX) {
        issues.push({ field: `tools.${i}.name`, rule: 'invalid', message: `tools.${i}.name must be lower-case letters, digits and "_", starting with a letter, at most ${TOOL_NAME_MAX} characters` });
      }
      if (tool.connectorId !== null && !CONNECTOR_ID_PATTERN.test(tool.connectorId)) {
        issues.push({ field: `tools.${i}.connector_id`, rule: 'invalid', message: `tools.${i}.connector_id must be a connector_ id or null` });
      }
    });
    f.tools = tools.map((t) => ({ name: t.name, connectorId: t.connectorId }));
    // R6: connectors follow the tools unless the request names them.
    if (!has(input, 'connectors')) f.connectors = connectorsOf(f.tools);
  }

  if (has(input, 'connectors')) {
    const connectors = input.connectors as string[];
    connectors.forEach((id, i) => {
      if (!CONNECTOR_ID_PATTERN.test(id)) {
        issues.push({ field: `connectors.${i}`, rule: 'invalid', message: `connectors.${i} must be a connector_ id` });
      }
    });
    if (new Set(connectors).size !== connectors.length) {
      issues.push({ field: 'connectors', rule: 'duplicate', message: 'connectors must not repeat an id' });
    }
    f.connectors = [...connectors];
  }
  const missing = connectorsOf(f.tools).filter((id) => !f.connectors.includes(id));
  if (missing.length > 0) {
    issues.push({ field: 'connectors', rule: 'missing', message: `connectors must include every tool's connector_id (missing ${missing.join(', ')})` });
  }

  if (has(input, 'subAgents')) {
    const subAgents = input.subAgents as string[];
    if (subAgents.length > SUB_AGENTS_MAX) {
      issues.push({ field: 'sub_agents', rule: 'too_many', message: `sub_agents must have at most ${SUB_AGENTS_MAX} items` });
    }
    if (new Set(subAgents).size !== subAgents.length) {
      issues.push({ field: 'sub_agents', rule: 'duplicate', message: 'sub_agents must not repeat an id' });
    }
    f.subAgents = [...subAgents];
  }

  if (has(input, 'dataSources')) {
    const sources = input.dataSources as DataSourceRef[];
    if (sources.length > DATA_SOURCES_MAX) {
      issues.push({ field: 'data_sources', rule: 'too_many', message: `data_sources must have at most ${DATA_SOURCES_MAX} items` });
    }
    sources.forEach((source, i) => {
      const at = `data_sources.${i}`;
      if (!SOURCE_ID_PATTERN.test(source.sourceId)) {
        issues.push({ field: `${at}.source_id`, rule: 'invalid', message: `${at}.source_id must be a source_ id` });
      }
      if (source.scope === 'selected') {
        if (source.documents.length < 1 || source.documents.length > DOCUMENTS_MAX) {
          issues.push({ field: `${at}.documents`, rule: 'length', message: `${at}.documents must list 1-${DOCUMENTS_MAX} document ids when scope is selected` });
        }
      } else if (source.documents.length > 0) {
        issues.push({ field: `${at}.documents`, rule: 'not_allowed', message: `${at}.documents must be empty when scope is all` });
      }
      source.documents.forEach((doc, j) => {
        if (!DOCUMENT_ID_PATTERN.test(doc)) {
          issues.push({ field: `${at}.documents.${j}`, rule: 'invalid', message: `${at}.documents.${j} must be a doc_ id` });
        }
      });
    });
    f.dataSources = sources.map((s) => ({ sourceId: s.sourceId, scope: s.scope, documents: s.scope === 'all' ? [] : [...s.documents] }));
  }

  if (has(input, 'phoneNumberId')) f.phoneNumberId = input.phoneNumberId ?? null;

  if (has(input, 'deactivatedReason')) {
    const reason = input.deactivatedReason ?? null;
    if (reason !== null && reason.length > DEACTIVATED_REASON_MAX) {
      issues.push({ field: 'deactivated_reason', rule: 'too_long', message: `deactivated_reason must be at most ${DEACTIVATED_REASON_MAX} characters` });
    }
  }

  return { fields: f, issues };
}

/** R6: distinct connector ids of the tools, in first-seen order. */
export function connectorsOf(tools: readonly ToolRef[]): string[] {
  const seen: string[] = [];
  for (const tool of tools) {
    if (tool.connectorId !== null && !seen.includes(tool.connectorId)) seen.push(tool.connectorId);
  }
  return seen;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

function isEmoji(value: string): boolean {
  const graphemes = [...segmenter.segment(value)];
  return graphemes.length === 1 && AVATAR_EMOJI_PATTERN.test(value);
}

function isAvatarUrl(value: string): boolean {
  return value.length <= AVATAR_URL_MAX && AVATAR_URL_PATTERN.test(value);
}
