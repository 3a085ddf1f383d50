/** The reply runtime's outside clients and pure rules (contract §8); see docs/runtime.md. */
export {
  buildRequest,
  createModelClient,
  ModelError,
  systemPreamble,
  type Channel,
  type HistoryItem,
  type ModelClient,
  type ModelClientOptions,
  type ModelErrorKind,
  type ModelReply,
  type ReplyRequest,
} from './model';
export {
  classifyGraphError,
  createGraphClient,
  GraphError,
  type GraphClient,
  type GraphClientOptions,
  type GraphErrorKind,
  type MarkReadRequest,
  type Platform,
  type SendTextRequest,
} from './graph';
export { parseRetryAfter, RETRY_DEFAULTS, retryDelay, retryDelays, withRetries, type BackoffOptions, type RetryOptions, type RetryableError } from './retry';
export { PLATFORM_LIMITS, splitReply, type SplitUnit } from './split';
export { insideWindow, SERVICE_WINDOW_MS } from './window';
