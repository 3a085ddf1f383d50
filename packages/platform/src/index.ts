export { systemClock } from './clock';
export { randomIds, requestId, apiToken, timeSortableId } from './ids';
export { sha256Hasher, constantTimeEqual } from './hashing';
export { aesGcmCipher, generateKeyHex, type SecretCipher } from './cipher';
export { htmlSanitizer } from './html';
