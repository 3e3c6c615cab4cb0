import { partitionForKey } from './murmur2.js';
import { StickyPartitioner } from './sticky-partitioner.js';

/** What the partitioner knows of a record. */
export interface PartitionRequest {
  readonly topic: string;
  readonly numPartitions: number;
  readonly key: Buffer | null;
  /** Serialized size of the record, for the sticky partitioner's byte count. */
  readonly size: number;
}

/** A custom partitioner: return a partition in [0, numPartitions). */
export type PartitionerFn = (request: PartitionRequest) => number;

/**
 * Java's built-in partitioning: murmur2 of the key bytes for keyed records (identical to
 * Java's client), sticky for keyless ones.
 */
export class DefaultPartitioner {
  private readonly sticky: StickyPartitioner;

  constructor(batchSize?: number) {
    this.sticky = new StickyPartitioner(batchSize);
  }

  readonly partition: PartitionerFn = ({ topic, numPartitions, key, size }) =>
    this.choose(topic, numPartitions, key, size);

  /** {@link partition} without the request object (the module's own hot path). */
  choose(topic: string, numPartitions: number, key: Buffer | null, size: number): number {
    return key
      ? partitionForKey(key, numPartitions)
      : this.sticky.partition(topic, numPartitions, size);
  }
}
