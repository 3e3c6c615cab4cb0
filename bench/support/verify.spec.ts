import { describe, expect, it } from '@jest/globals';
import type { CellSpec } from './types.js';
import { verifyCount } from './verify.js';

const spec = (o: Partial<CellSpec>) => ({ batch: 100, partitions: 6, ...o }) as CellSpec;

describe('verifyCount', () => {
  it('wants the exact count for plain runs', () => {
    expect(verifyCount(spec({}), 1000, 1000)).toBe('');
    expect(verifyCount(spec({}), 1001, 1000)).toMatch(/holds 1001 offsets, the peer acked 1000/);
  });

  it('allows a commit marker per partition per transaction, never fewer records than acked', () => {
    const tx = spec({ transactional: true });
    // 10 transactions of 100 over 6 partitions: up to (10 + 1) × 6 markers
    expect(verifyCount(tx, 1000 + 60, 1000)).toBe('');
    expect(verifyCount(tx, 1000 + 66, 1000)).toBe('');
    expect(verifyCount(tx, 1000 + 67, 1000)).toMatch(/at most 66 commit markers/);
    expect(verifyCount(tx, 999, 1000)).toMatch(/holds 999 offsets/);
  });
});
