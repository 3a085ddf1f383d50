import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('the core is pure', () => {
  it('imports nothing but its own modules: no Node built-ins, Drizzle, Hono or better-sqlite3', () => {
    const offenders: string[] = [];
    for (const file of sources(join(import.meta.dirname, '..', 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        if (!match[1]!.startsWith('.')) offenders.push(`${file}: ${match[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('has no clock or randomness of its own', () => {
    const offenders = sources(join(import.meta.dirname, '..', 'src')).filter((file) =>
      /Date\.now\(|new Date\(|Math\.random\(|crypto\./.test(readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
