/** The numbers and patterns of rules R4–R9, shared with the dialects' request schemas. */
export const HANDLE_PATTERN = /^[a-zA-Z][a-zA-Z0-9]*$/;
export const HANDLE_MAX = 64;
export const NAME_MAX = 255;
export const DESCRIPTION_MAX = 1000;
export const INSTRUCTIONS_MAX = 100_000;
export const PROMPT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,255}$/;
export const MODEL_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
export const COLOR_PATTERN = /^#[0-9A-Fa-f]{6}$/;
export const DEFAULT_COLOR = '#6366f1';
export const AVATAR_URL_MAX = 2048;
/** R9: an avatar emoji starts with one of these (and is a single grapheme). */
export const AVATAR_EMOJI_PATTERN = /^(\p{Extended_Pictographic}|\p{Regional_Indicator}|[#*0-9]\uFE0F?\u20E3)/u;
/** R9: an avatar URL (and at most AVATAR_URL_MAX characters). */
export const AVATAR_URL_PATTERN = /^https:\/\/[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?([/?#][^\s]*)?$/;
export const TOOLS_MAX = 64;
export const TOOL_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
export const TOOL_NAME_MAX = 128;
export const CONNECTOR_ID_PATTERN = /^connector_[A-Za-z0-9]{1,64}$/;
export const SOURCE_ID_PATTERN = /^source_[A-Za-z0-9]{1,64}$/;
export const DOCUMENT_ID_PATTERN = /^doc_[A-Za-z0-9]{1,64}$/;
export const SUB_AGENTS_MAX = 16;
export const HANDOFF_DEPTH_MAX = 3;
export const DATA_SOURCES_MAX = 32;
export const DOCUMENTS_MAX = 1000;
export const DEACTIVATED_REASON_MAX = 1000;
/** A client-chosen legacy agent id. */
export const CLIENT_AGENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const META_ID_PATTERN = /^[0-9]{5,32}$/;
export const DISPLAY_NAME_MAX = 255;
export const ACCESS_TOKEN_MIN = 10;
export const ACCESS_TOKEN_MAX = 4096;
/** An access token has no whitespace (and ACCESS_TOKEN_MIN to ACCESS_TOKEN_MAX characters). */
export const ACCESS_TOKEN_PATTERN = /^\S+$/;
export const CUSTOMER_ID_MAX = 128;
/**
 * Contract §2: an `Idempotency-Key` is 1–128 printable ASCII characters. The dialects' OpenAPI
 * documents state it from here; packages/http's idempotency middleware still holds its own copy.
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7E]{1,128}$/;
