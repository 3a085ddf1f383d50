export { createMemoryUnitOfWork, type MemoryUnitOfWork } from './memory';
export { manualClock, sequentialIds, reversingHasher, stripTagsSanitizer, testDeps } from './fixtures';
