import { ConfigurationError } from '../errors/configuration.error.js';
import { Messages } from '../kafka-producer.messages.js';

/** Throws unless `partition` is an integer >= 0 (whether it exists is the broker's to say). */
export function assertPartition(partition: unknown): asserts partition is number {
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) {
    throw new ConfigurationError(Messages.invalidPartition(partition));
  }
}
