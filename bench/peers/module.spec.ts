import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moduleEntry } from './module.js';

describe('moduleEntry', () => {
  it('finds a build:dev build first, then dist, then a bare index.js', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-module-'));
    try {
      expect(() => moduleEntry(dir)).toThrow(/no built module in .*npm run build:dev/);
      writeFileSync(join(dir, 'index.js'), '');
      expect(moduleEntry(dir)).toBe(join(dir, 'index.js'));
      mkdirSync(join(dir, 'dist'));
      writeFileSync(join(dir, 'dist', 'index.js'), '');
      expect(moduleEntry(dir)).toBe(join(dir, 'dist', 'index.js'));
      mkdirSync(join(dir, '.build', 'lib'), { recursive: true });
      writeFileSync(join(dir, '.build', 'lib', 'index.js'), '');
      expect(moduleEntry(dir)).toBe(join(dir, '.build', 'lib', 'index.js'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
