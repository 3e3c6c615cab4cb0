import { murmur2, partitionForKey, toPositive } from './murmur2.js';

describe('murmur2', () => {
  // The vectors of Kafka's own UtilsTest.testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j as Java does', (text, expected) => {
    expect(murmur2(Buffer.from(text))).toBe(expected);
  });

  it('takes tail bytes unsigned, as Java masks them', () => {
    const high = Buffer.from([0xff, 0xfe, 0x80]);
    expect(murmur2(high)).not.toBe(murmur2(Buffer.from([0x7f, 0x7e, 0x00])));
    expect(Number.isInteger(murmur2(high))).toBe(true);
  });

  it('toPositive clears the sign bit instead of negating', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });

  it('partitionForKey stays in range', () => {
    for (let i = 0; i < 1000; i++) {
      const p = partitionForKey(Buffer.from(`key-${i}`), 7);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(7);
    }
  });
});
