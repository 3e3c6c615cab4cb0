import { CompressionTypes, type Message, type RecordMetadata, type TopicMessages } from 'kafkajs';
import { ConfigurationError } from '../errors/configuration.error.js';
import { DeliveryTimeoutError } from '../errors/delivery-timeout.error.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import { Messages } from '../kafka-producer.messages.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { withTimeout } from '../utils/with-timeout.js';
import { toProducerError } from './error-mapper.js';
import type { PartitionerHook } from './partitioner-hook.js';
import type { ProducerPool } from './producer-pool.js';

const CODECS: Record<string, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

/** The kafkajs code of a codec; throws ConfigurationError for one that is not available. */
export function compressionType(codec: CompressionCodec): CompressionTypes {
  const type = CODECS[codec];
  if (type === undefined) throw new ConfigurationError(Messages.unsupportedCompression(codec));
  return type;
}

/**
 * Sends records with one profile's producer and turns kafkajs's per-partition answers
 * into one DeliveryReport per record, in the order given.
 */
export class RecordSender {
  constructor(
    private readonly pool: ProducerPool,
    private readonly hook: PartitionerHook,
    private readonly requestTimeoutMs: number,
  ) {}

  async send(
    records: readonly OutgoingRecord[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): Promise<DeliveryReport[]> {
    const topic = records[0].topic;
    const messages = records.map(toMessage);
    const send = async (): Promise<RecordMetadata[]> => {
      const producer = await this.pool.get(profile);
      return producer.sendBatch({
        acks: profile.acks,
        timeout: this.requestTimeoutMs,
        compression: compressionType(compression),
        topicMessages: groupByTopic(records, messages),
      });
    };
    let metadata: RecordMetadata[];
    try {
      metadata = await withTimeout(
        send(),
        profile.deliveryTimeoutMs,
        () => new DeliveryTimeoutError(topic, profile.deliveryTimeoutMs),
      );
    } catch (error) {
      throw toProducerError(error, topic);
    }
    return this.reports(records, messages, metadata, profile);
  }

  private reports(
    records: readonly OutgoingRecord[],
    messages: Message[],
    metadata: RecordMetadata[],
    profile: ReliabilityProfile,
  ): DeliveryReport[] {
    const base = new Map<string, bigint>();
    for (const m of metadata)
      base.set(`${m.topicName}\0${m.partition}`, BigInt(m.baseOffset ?? -1));
    const position = new Map<string, bigint>();
    return records.map((record, i) => {
      const partition = this.hook.partitionOf(messages[i]) ?? record.partition ?? -1;
      const slot = `${record.topic}\0${partition}`;
      let offset = '-1';
      if (profile.acks !== 0 && base.has(slot)) {
        const index = position.get(slot) ?? 0n;
        position.set(slot, index + 1n);
        offset = (base.get(slot)! + index).toString();
      }
      return {
        topic: record.topic,
        partition,
        offset,
        key: record.keyValue,
        timestamp: String(record.timestamp),
        eventId: record.eventId,
      };
    });
  }
}

function toMessage(record: OutgoingRecord): Message {
  return {
    key: record.key,
    value: record.value,
    headers: record.headers,
    timestamp: String(record.timestamp),
    partition: record.partition,
  };
}

function groupByTopic(records: readonly OutgoingRecord[], messages: Message[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  records.forEach((record, i) => {
    const list = byTopic.get(record.topic);
    if (list) list.push(messages[i]);
    else byTopic.set(record.topic, [messages[i]]);
  });
  return [...byTopic].map(([topic, list]) => ({ topic, messages: list }));
}
