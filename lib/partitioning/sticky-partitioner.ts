/**
 * Keyless records stick to one partition per topic until `batchSize` bytes have gone to
 * it, then move to another partition chosen at random (KIP-480, with KIP-794's byte-count
 * switch), so batches fill up and partitions even out over time.
 */
export class StickyPartitioner {
  private readonly current = new Map<string, { partition: number; bytes: number }>();

  /**
   * @param batchSize bytes a partition takes before the next record moves on (Java `batch.size`, default 16384).
   * @param random source of randomness in [0, 1), replaceable in tests.
   */
  constructor(
    private readonly batchSize = 16384,
    private readonly random: () => number = Math.random,
  ) {}

  /** Partition for a keyless record of `recordBytes` bytes to a topic with `numPartitions` partitions. */
  partition(topic: string, numPartitions: number, recordBytes: number): number {
    let state = this.current.get(topic);
    if (!state || state.partition >= numPartitions || state.bytes >= this.batchSize) {
      state = { partition: this.next(numPartitions, state?.partition), bytes: 0 };
      this.current.set(topic, state);
    }
    state.bytes += recordBytes;
    return state.partition;
  }

  private next(numPartitions: number, previous: number | undefined): number {
    if (numPartitions <= 1) return 0;
    if (previous === undefined || previous >= numPartitions) {
      return Math.floor(this.random() * numPartitions);
    }
    // Any partition but the one just filled, uniformly.
    const pick = Math.floor(this.random() * (numPartitions - 1));
    return pick >= previous ? pick + 1 : pick;
  }
}
