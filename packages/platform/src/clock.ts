import type { Clock } from '@gateway/core';

export const systemClock: Clock = { now: () => Date.now() };
