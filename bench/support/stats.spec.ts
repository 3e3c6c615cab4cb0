import { describe, expect, it } from '@jest/globals';
import { median, ratio, roundRatios, spread } from './stats.js';

describe('median', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('ignores missing and non-finite values, and has no median of nothing', () => {
    expect(median([undefined, 5, Number.NaN, 1, Number.POSITIVE_INFINITY])).toBe(3);
    expect(median([])).toBeUndefined();
    expect(median([undefined])).toBeUndefined();
  });
});

describe('spread', () => {
  it('gives min, max and the count of the values', () => {
    expect(spread([5, 2, 9, undefined])).toEqual({ min: 2, max: 9, n: 3 });
    expect(spread([])).toBeUndefined();
  });
});

describe('ratio', () => {
  it('divides finite values by a positive divisor only', () => {
    expect(ratio(3, 4)).toBe(0.75);
    expect(ratio(3, 0)).toBeUndefined();
    expect(ratio(undefined, 4)).toBeUndefined();
    expect(ratio(3, Number.NaN)).toBeUndefined();
  });
});

describe('roundRatios', () => {
  it('divides round by round, skipping rounds either side misses', () => {
    const a = new Map([
      [1, 10],
      [2, 20],
      [3, 30],
    ]);
    const b = new Map<number, number | undefined>([
      [1, 5],
      [3, 60],
      [4, 1],
    ]);
    expect(roundRatios(a, b)).toEqual([2, 0.5]);
  });
});
