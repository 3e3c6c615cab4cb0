import { InvalidPartitionError } from '../errors/invalid-partition.error.js';
import { Messages } from '../kafka-producer.messages.js';

/** Throws unless `partition` is an integer >= 0 (whether the topic has it is checked on send). */
export function assertPartition(partition: unknown): asserts partition is number {
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) {
    throw new InvalidPartitionError(partition, Messages.invalidPartition(partition));
  }
}
