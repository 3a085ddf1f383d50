import { describe, expect, it } from 'vitest';
import { Mutex } from '../src/mutex';

describe('Mutex', () => {
  it('runs tasks one at a time, first come first served, and survives a failing task', async () => {
    const mutex = new Mutex();
    const log: string[] = [];
    const task = (name: string, fail = false) => async () => {
      log.push(`${name}+`);
      await new Promise((resolve) => setTimeout(resolve, 2));
      log.push(`${name}-`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([mutex.run(task('a')), mutex.run(task('b', true)), mutex.run(task('c'))]);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(results).toEqual([
      { status: 'fulfilled', value: 'a' },
      { status: 'rejected', reason: new Error('b') },
      { status: 'fulfilled', value: 'c' },
    ]);
  });

  it('releases after a task that throws synchronously', async () => {
    const mutex = new Mutex();
    await expect(
      mutex.run(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(await mutex.run(async () => 'next')).toBe('next');
  });
});
