import { backoffMs } from './backoff.js';

describe('backoffMs', () => {
  it('doubles from the first wait up to the largest, without jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, 200, 5000, 0))).toEqual([
      200, 400, 800, 1600, 3200, 5000, 5000,
    ]);
  });

  it('stays within ±20% of the doubled wait by default', () => {
    for (let i = 0; i < 1000; i++) {
      const attempt = 1 + (i % 6);
      const base = Math.min(100 * 2 ** (attempt - 1), 1000);
      const wait = backoffMs(attempt, 100, 1000);
      expect(wait).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
      expect(wait).toBeLessThanOrEqual(Math.ceil(base * 1.2));
    }
  });
});
