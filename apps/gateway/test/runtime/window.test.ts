import { describe, expect, it } from 'vitest';
import { insideWindow, SERVICE_WINDOW_MS } from '../../src/runtime/window';

// Contract §8, "The 24-hour window": a reply that would go out later than 24 hours after the
// customer's last message is not sent.

const last = new Date('2026-03-01T12:00:00.000Z');
const plus = (ms: number) => new Date(last.getTime() + ms);

describe('insideWindow', () => {
  it('is 24 hours', () => {
    expect(SERVICE_WINDOW_MS).toBe(86_400_000);
  });

  it('is true right after the message and up to the last millisecond before 24 hours', () => {
    expect(insideWindow(last, last)).toBe(true);
    expect(insideWindow(last, plus(60_000))).toBe(true);
    expect(insideWindow(last, plus(SERVICE_WINDOW_MS - 1))).toBe(true);
  });

  it('is false at 24 hours exactly and after', () => {
    expect(insideWindow(last, plus(SERVICE_WINDOW_MS))).toBe(false);
    expect(insideWindow(last, plus(SERVICE_WINDOW_MS + 1))).toBe(false);
    expect(insideWindow(last, plus(7 * SERVICE_WINDOW_MS))).toBe(false);
  });

  it('takes ISO strings and epoch milliseconds as stored', () => {
    expect(insideWindow('2026-03-01T12:00:00.000Z', plus(SERVICE_WINDOW_MS - 1).getTime())).toBe(true);
    expect(insideWindow('2026-03-01T12:00:00Z', plus(SERVICE_WINDOW_MS))).toBe(false);
    expect(insideWindow(last.getTime(), plus(1_000))).toBe(true);
  });

  it('is false without a customer message or with a time that is not a date', () => {
    expect(insideWindow(null, last)).toBe(false);
    expect(insideWindow(undefined, last)).toBe(false);
    expect(insideWindow('yesterday', last)).toBe(false);
    expect(insideWindow(last, Number.NaN)).toBe(false);
  });

  it('counts a message stamped slightly in the future (clocks apart) as inside', () => {
    expect(insideWindow(plus(5_000), last)).toBe(true);
  });
});
