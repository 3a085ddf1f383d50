import { describe, expect, it } from 'vitest';
import { isoTimeByMillisecond } from '../src/logger';
import { runTs } from './helpers';

/** The lines a run of `fixtures/log-lines.ts` printed, parsed. */
async function printedLines(count: number, pauseMs: number, how: 'exit' | 'flush'): Promise<Record<string, unknown>[]> {
  const run = await runTs('test/fixtures/log-lines.ts', [String(count), String(pauseMs), how], { ...process.env });
  expect(run.code).toBe(0);
  expect(run.stderr).toBe('');
  expect(run.stdout.endsWith('\n')).toBe(true);
  return run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the standard-output logger (buffered)', () => {
  it.each([
    // Under the buffer's 4 KiB nothing has started writing, so the exit hook writes it all.
    ['a few lines, all still buffered at a plain exit', 5, 0, 'exit'],
    ['many buffers full, written out before the stop exits', 3000, 0, 'flush'],
    ['lines on both sides of a timed flush, written out before the stop exits', 400, 450, 'flush'],
  ] as const)('%s: every line, whole and in order, non-ASCII text intact', async (_name, count, pauseMs, how) => {
    const lines = await printedLines(count, pauseMs, how);
    expect(lines.map((line) => line.n)).toEqual(Array.from({ length: count }, (_, i) => i));
    for (const line of lines) {
      expect(line).toMatchObject({ level: 'info', msg: 'line', text: 'Grüße, 👋 "quoted" \\ line' });
      expect(line.time).toBe(`${new Date(line.time as string).toISOString()}`);
    }
  });
});

describe('isoTimeByMillisecond', () => {
  it("is pino's isoTime for every millisecond, also when one repeats or time goes back", () => {
    const moments = [0, 1_765_000_000_000, 1_765_000_000_000, 1_765_000_000_001, 1_765_000_000_000, 1_798_761_599_999];
    for (const now of moments) expect(isoTimeByMillisecond(now)).toBe(`,"time":"${new Date(now).toISOString()}"`);
  });
});
