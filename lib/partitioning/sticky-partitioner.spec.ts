import { DefaultPartitioner } from './partitioner.js';
import { StickyPartitioner } from './sticky-partitioner.js';

describe('StickyPartitioner', () => {
  it('sticks to one partition until batchSize bytes went to it, then moves to another', () => {
    const sticky = new StickyPartitioner(1000);
    const first = sticky.partition('t', 6, 100);
    for (let i = 1; i < 10; i++) expect(sticky.partition('t', 6, 100)).toBe(first);
    const next = sticky.partition('t', 6, 100);
    expect(next).not.toBe(first);
    for (let i = 1; i < 10; i++) expect(sticky.partition('t', 6, 100)).toBe(next);
  });

  it('keeps a separate sticky partition per topic', () => {
    let n = 0;
    const sticky = new StickyPartitioner(1000, () => [0.1, 0.9][n++ % 2]);
    expect(sticky.partition('a', 4, 10)).toBe(0);
    expect(sticky.partition('b', 4, 10)).toBe(3);
    expect(sticky.partition('a', 4, 10)).toBe(0);
  });

  it('spreads records evenly over partitions over time', () => {
    const sticky = new StickyPartitioner(16384);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 600_000; i++) counts[sticky.partition('t', 6, 100)]++;
    for (const count of counts) {
      expect(count).toBeGreaterThan(100_000 * 0.85);
      expect(count).toBeLessThan(100_000 * 1.15);
    }
  });

  it('moves back into range when a topic has fewer partitions than before', () => {
    const sticky = new StickyPartitioner(1000, () => 0.99);
    expect(sticky.partition('t', 10, 1)).toBe(9);
    expect(sticky.partition('t', 3, 1)).toBeLessThan(3);
  });

  it('single partition topics always get partition 0', () => {
    const sticky = new StickyPartitioner(10);
    for (let i = 0; i < 100; i++) expect(sticky.partition('t', 1, 7)).toBe(0);
  });
});

describe('DefaultPartitioner', () => {
  it('hashes keyed records and sticks keyless ones', () => {
    const partitioner = new DefaultPartitioner(16384);
    const key = Buffer.from('foobar');
    // toPositive(-790332482) % 12, as Java computes it
    expect(partitioner.partition({ topic: 't', numPartitions: 12, key, size: 10 })).toBe(
      (-790332482 & 0x7fffffff) % 12,
    );
    const a = partitioner.partition({ topic: 't', numPartitions: 12, key: null, size: 10 });
    expect(partitioner.partition({ topic: 't', numPartitions: 12, key: null, size: 10 })).toBe(a);
  });
});
