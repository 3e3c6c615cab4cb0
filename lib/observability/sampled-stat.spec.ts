import { SAMPLE_WINDOW_MS, SampledStat } from './sampled-stat.js';

describe('SampledStat (Java Rate, Avg and Max over two 30 s windows)', () => {
  it('is NaN for an average or maximum of nothing, and 0 for a rate', () => {
    const stat = new SampledStat();
    expect(stat.avg(0)).toBeNaN();
    expect(stat.max(0)).toBeNaN();
    expect(stat.rate(0)).toBe(0);
  });

  it('averages and keeps the maximum of what was recorded', () => {
    const stat = new SampledStat();
    stat.record(2, 0);
    stat.record(4, 10);
    stat.record(9, 20);
    expect(stat.avg(30)).toBe(5);
    expect(stat.max(30)).toBe(9);
  });

  it('divides a rate by at least one whole window, as Java does', () => {
    const stat = new SampledStat();
    stat.record(60, 0);
    // 60 in 1 s, but the window is 30 s: Java reads 2 per second.
    expect(stat.rate(1000)).toBe(60 / (SAMPLE_WINDOW_MS / 1000 + 1));
  });

  it('forgets samples two windows old', () => {
    const stat = new SampledStat();
    stat.record(100, 0);
    stat.record(1, SAMPLE_WINDOW_MS + 1);
    expect(stat.max(SAMPLE_WINDOW_MS + 2)).toBe(100);
    expect(stat.max(2 * SAMPLE_WINDOW_MS + 1)).toBe(1);
    expect(stat.avg(4 * SAMPLE_WINDOW_MS)).toBeNaN();
  });
});
