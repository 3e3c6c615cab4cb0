import type { Logger } from '@nestjs/common';
import type { Message, RecordMetadata, TopicMessages } from 'kafkajs';
import type { ProducerBatch } from '../accumulator/producer-batch.js';
import { compressionType } from '../compression/compression-registry.js';
import { DeliveryTimeoutError } from '../errors/delivery-timeout.error.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { toProducerError } from './error-mapper.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import type { ProducerPool } from './producer-pool.js';

function toMessage(record: OutgoingRecord, partition: number): Message {
  return {
    key: record.key,
    value: record.value,
    headers: record.headers,
    timestamp: String(record.timestamp),
    partition,
  };
}

/**
 * Sends batches with one profile's kafkajs producer, one `sendBatch` per call (kafkajs
 * makes one Produce request per leader), and settles each record with its own report:
 * offset = the partition's base offset + the record's position in its batch.
 */
export class RecordSender {
  constructor(
    private readonly pool: ProducerPool,
    private readonly requestTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** The accumulator's Transmit: settles every record, resolves when kafkajs is done. */
  readonly transmit = async (
    batches: ProducerBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
    deadline: number,
  ): Promise<void> => {
    // Callers get their answer by the deadline; kafkajs may finish later, and only then
    // is the request's memory free (the accumulator waits for this promise).
    const timer = setTimeout(
      () => {
        for (const batch of batches) {
          batch.fail(new DeliveryTimeoutError(batch.topic, profile.deliveryTimeoutMs));
        }
      },
      Math.max(0, deadline - Date.now()),
    );
    try {
      const producer = await this.pool.get(profile);
      const metadata = await producer.sendBatch({
        acks: profile.acks,
        timeout: this.requestTimeoutMs,
        compression: compressionType(compression),
        topicMessages: this.topicMessages(batches),
      });
      this.settle(batches, metadata, profile);
    } catch (error) {
      const first = toProducerError(error, batches[0].topic);
      const records = batches.reduce((n, batch) => n + batch.records.length, 0);
      this.logger.warn(`gave up on ${records} record(s) (${first.name}): ${first.message}`);
      for (const batch of batches) batch.fail(toProducerError(error, batch.topic));
    } finally {
      clearTimeout(timer);
    }
  };

  private topicMessages(batches: ProducerBatch[]): TopicMessages[] {
    const byTopic = new Map<string, Message[]>();
    for (const batch of batches) {
      let messages = byTopic.get(batch.topic);
      if (!messages) byTopic.set(batch.topic, (messages = []));
      for (const { record } of batch.records) messages.push(toMessage(record, batch.partition));
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  }

  private settle(
    batches: ProducerBatch[],
    metadata: RecordMetadata[],
    profile: ReliabilityProfile,
  ) {
    const base = new Map<string, bigint>();
    for (const m of metadata)
      base.set(`${m.topicName}\0${m.partition}`, BigInt(m.baseOffset ?? -1));
    // Several batches of one partition travel as one record batch: positions run on.
    for (const batch of batches) {
      const slot = `${batch.topic}\0${batch.partition}`;
      const first = profile.acks === 0 ? undefined : base.get(slot);
      if (profile.acks !== 0 && first === undefined) {
        // kafkajs resolved without an answer for this partition (it tracks answers per
        // broker, and a leader move can leave a partition unsent): never report it acked.
        batch.fail(
          new SendFailedError(
            batch.topic,
            true,
            undefined,
            `no broker answer for partition ${batch.partition}`,
          ),
        );
        continue;
      }
      if (first !== undefined) base.set(slot, first + BigInt(batch.records.length));
      batch.records.forEach(({ record, resolve }, i) =>
        resolve({
          topic: batch.topic,
          partition: batch.partition,
          offset: first === undefined ? '-1' : (first + BigInt(i)).toString(),
          key: record.keyValue,
          timestamp: String(record.timestamp),
          eventId: record.eventId,
        }),
      );
    }
  }
}
