import { describe, expect, it } from 'vitest';
import { runTs } from './helpers';

/** The lines a run of `fixtures/log-lines.ts` printed, parsed. */
async function printedLines(count: number, pauseMs: number): Promise<Record<string, unknown>[]> {
  const run = await runTs('test/fixtures/log-lines.ts', [String(count), String(pauseMs)], { ...process.env });
  expect(run.code).toBe(0);
  expect(run.stderr).toBe('');
  expect(run.stdout.endsWith('\n')).toBe(true);
  return run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the standard-output logger (buffered)', () => {
  it.each([
    ['a few lines, all still buffered at exit', 5, 0],
    ['many buffers full, the last written out at exit', 3000, 0],
    ['lines on both sides of a timed flush', 400, 450],
  ])('%s: every line, whole and in order, non-ASCII text intact', async (_name, count, pauseMs) => {
    const lines = await printedLines(count, pauseMs);
    expect(lines.map((line) => line.n)).toEqual(Array.from({ length: count }, (_, i) => i));
    for (const line of lines) {
      expect(line).toMatchObject({ level: 'info', msg: 'line', text: 'Grüße, 👋 "quoted" \\ line' });
      expect(typeof line.time).toBe('string');
    }
  });
});
