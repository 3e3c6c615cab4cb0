import type { ICustomPartitioner, Message } from 'kafkajs';
import { SendFailedError } from '../errors/send-failed.error.js';
import type { PartitionerFn } from '../partitioning/partitioner.js';

/**
 * Plugs the module's partitioner into kafkajs (which knows the partition counts from its
 * metadata) and remembers the partition each message got, so reports can say where each
 * record went and at which offset.
 */
export class PartitionerHook {
  private readonly chosen = new WeakMap<Message, number>();

  constructor(private readonly partitioner: PartitionerFn) {}

  readonly create: ICustomPartitioner =
    () =>
    ({ topic, partitionMetadata, message }) => {
      const numPartitions = partitionMetadata.length;
      let partition = message.partition;
      if (partition === undefined || partition === null) {
        const key = (message.key as Buffer | null | undefined) ?? null;
        const size = (key?.length ?? 0) + ((message.value as Buffer | null)?.length ?? 0);
        partition = this.partitioner({ topic, numPartitions, key, size });
      } else if (partition >= numPartitions) {
        throw new SendFailedError(
          topic,
          false,
          'UNKNOWN_TOPIC_OR_PARTITION',
          `partition ${partition} does not exist (the topic has ${numPartitions})`,
        );
      }
      this.chosen.set(message, partition);
      return partition;
    };

  /** The partition kafkajs was told for `message`. */
  partitionOf(message: Message): number | undefined {
    return this.chosen.get(message);
  }
}
