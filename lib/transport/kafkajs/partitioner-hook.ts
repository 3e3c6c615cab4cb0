import type { ICustomPartitioner } from 'kafkajs';
import type { TopicMetadataCache } from './topic-metadata.js';

/**
 * The partitioner kafkajs calls for each message. Every record already carries the
 * partition the module chose; this checks it still exists, and passes kafkajs's fresh
 * partition counts to the module's metadata cache (a topic may have grown).
 */
export function partitionerHook(metadata: TopicMetadataCache): ICustomPartitioner {
  return () =>
    ({ topic, partitionMetadata, message }) => {
      const count = partitionMetadata.length;
      metadata.update(topic, count);
      const partition = message.partition!;
      if (partition >= count) {
        // Shaped as kafkajs's own stale-metadata error, so it refreshes and retries.
        throw Object.assign(
          new Error(`partition ${partition} is not in kafkajs's metadata (${count} partitions)`),
          { name: 'KafkaJSProtocolError', type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true },
        );
      }
      return partition;
    };
}
