import type { DeliveryReport } from './delivery-report.interface.js';
import type { SendOptions } from './send-options.interface.js';

/** A consumer group's offsets to commit with a transaction (kafkajs's `sendOffsets` shape). */
export interface TransactionOffsets {
  /** The consumer group whose offsets the transaction commits. */
  consumerGroupId: string;
  /**
   * Per topic and partition, the next offset the group reads (the last processed record's
   * offset + 1), as a string like kafkajs's offsets.
   */
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
}

/**
 * The transaction handed to `producer.transaction(async (tx) => …)`. Its sends go through the
 * same decorators, validation, keys, serializers and partitioner as `ProducerService.send`,
 * always with reliability `'all'`; a read_committed consumer sees them only once the
 * transaction commits. Usable only while the callback runs.
 */
export interface KafkaTransaction {
  /** The transactional id this transaction runs under (`<transactionalIdPrefix>-<n>`). */
  readonly transactionalId: string;
  /** Sends one event in the transaction; resolves once the broker has it (not yet committed). */
  send(event: object, options?: SendOptions): Promise<DeliveryReport>;
  /** Sends several events in the transaction, in the order given; if any is bad, none is sent. */
  sendMany(events: readonly object[], options?: SendOptions): Promise<DeliveryReport[]>;
  /** Commits a consumer group's offsets with the transaction (consume-transform-produce). */
  sendOffsets(offsets: TransactionOffsets): Promise<void>;
}
