import type { Logger } from '@nestjs/common';
import { Kafka, type KafkaConfig, type Message, type Producer, type RecordMetadata } from 'kafkajs';
import type { ProducerBatch, TopicMessages } from 'kafkajs';
import { compressionType } from '../../compression/compression-registry.js';
import type { KafkaProducerError } from '../../errors/kafka-producer.error.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import type { CompressionCodec } from '../../interfaces/compression.interface.js';
import type { ReliabilityProfile } from '../../interfaces/reliability.interface.js';
import { idempotentLanes, maxInFlightFor } from '../../idempotence/in-flight.js';
import { slotKey } from '../../record/slot-key.js';
import type { PartitionBatch, PartitionOutcome, Transport } from '../transport.interface.js';
import { outcomeInDoubt, toProducerError } from './error-mapper.js';
import { checkKafkajsInternals } from './kafkajs-internals.js';
import { nestLogCreator } from './kafkajs-logger.js';
import { partitionerHook } from './partitioner-hook.js';
import { installProduceEncoder, standIns } from './produce-request.js';
import { ProducerPool, type ProducerLease } from './producer-pool.js';
import { SequenceBook } from './sequence-book.js';
import { TopicMetadataCache } from './topic-metadata.js';

/** What the kafkajs transport needs to know (the module's resolved options). */
export interface KafkajsTransportSettings {
  readonly client: KafkaConfig;
  readonly brokers: readonly string[];
  readonly requestTimeoutMs: number;
  readonly connectRetries: number;
  readonly connectTimeoutMs: number;
  readonly maxInFlightRequests: number;
  readonly allowAutoTopicCreation: boolean;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly maxBlockMs: number;
  readonly metadataMaxAgeMs: number;
}

/**
 * The {@link Transport} over kafkajs 2.2.4: kafkajs keeps the connections (TLS, SASL),
 * metadata, InitProducerId and its retries; the module hands it record batches it encoded
 * itself (see produce-request.ts), one stand-in message per partition.
 *
 * An idempotent profile sends one `sendBatch` per partition, each partition always on the
 * same lane (see ProducerPool): kafkajs retries a request that spans several leaders by
 * re-sending to every leader that has not answered yet, even one whose first request is
 * still in flight, with new sequence numbers (duplicates the broker cannot detect); a
 * request for one partition goes to one leader, so its retries reuse its numbers. After a
 * failure whose outcome is unknown the lane's producer is replaced (a new producer id).
 */
export class KafkajsTransport implements Transport {
  private readonly pool: ProducerPool;
  private readonly metadata: TopicMetadataCache;
  /** Each idempotent kafkajs producer's record sequence numbers (see SequenceBook). */
  private readonly books = new WeakMap<Producer, SequenceBook>();
  /** Each partition's lane (see {@link laneOf}). */
  private readonly lanes = new Map<string, number>();
  private nextLane = 0;

  constructor(
    private readonly settings: KafkajsTransportSettings,
    logger: Logger,
    /** The kafkajs client; made from `settings.client` unless a test gives its own. */
    kafka: Kafka = new Kafka({
      requestTimeout: settings.requestTimeoutMs,
      retry: { initialRetryTime: 100, retries: 3 },
      logCreator: nestLogCreator(logger),
      ...settings.client,
    }),
  ) {
    checkKafkajsInternals();
    installProduceEncoder();
    this.metadata = new TopicMetadataCache(kafka, logger, {
      brokers: settings.brokers,
      allowAutoTopicCreation: settings.allowAutoTopicCreation,
      maxBlockMs: settings.maxBlockMs,
      maxAgeMs: settings.metadataMaxAgeMs,
    });
    this.pool = new ProducerPool(
      kafka,
      partitionerHook(this.metadata),
      {
        brokers: settings.brokers,
        attempts: settings.connectRetries,
        timeoutMs: settings.connectTimeoutMs,
        maxInFlightRequests: settings.maxInFlightRequests,
        allowAutoTopicCreation: settings.allowAutoTopicCreation,
        retryBackoffMs: settings.retryBackoffMs,
        retryBackoffMaxMs: settings.retryBackoffMaxMs,
        idempotentLanes: idempotentLanes(settings.maxInFlightRequests),
      },
      logger,
    );
  }

  async connect(profile: ReliabilityProfile): Promise<void> {
    await this.pool.get(profile);
  }

  partitions(topic: string): number | Promise<number> {
    return this.metadata.partitions(topic);
  }

  maxInFlight(profile: ReliabilityProfile): number {
    return maxInFlightFor(profile, this.settings.maxInFlightRequests);
  }

  get closed(): boolean {
    return this.pool.closed;
  }

  async close(): Promise<void> {
    await this.pool.disconnectAll();
    await this.metadata.close();
  }

  async produce(
    batches: readonly PartitionBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): Promise<PartitionOutcome[]> {
    const outcomes = new Array<PartitionOutcome>(batches.length);
    if (!profile.idempotent) {
      await this.sendAll(batches, profile, compression, outcomes);
      return outcomes;
    }
    const byLane = new Map<number, number[]>();
    batches.forEach((batch, i) => {
      const lane = this.laneOf(batch, profile);
      const list = byLane.get(lane);
      if (list) list.push(i);
      else byLane.set(lane, [i]);
    });
    await Promise.all(
      [...byLane].map(([lane, indexes]) =>
        this.sendLane(lane, batches, indexes, profile, compression, outcomes),
      ),
    );
    return outcomes;
  }

  /** One `sendBatch` for every batch (kafkajs splits it per leader). */
  private async sendAll(
    batches: readonly PartitionBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
    outcomes: PartitionOutcome[],
  ): Promise<void> {
    const indexes = batches.map((_, i) => i);
    let lease: ProducerLease | undefined;
    try {
      lease = await this.pool.acquire(profile);
      const metadata = await lease.producer.sendBatch(this.request(batches, profile, compression));
      this.answer(batches, indexes, metadata, profile, outcomes);
    } catch (error) {
      this.failAll(batches, indexes, error, outcomes);
    } finally {
      lease?.release();
    }
  }

  /** The same failure for every batch: one typed error per topic (its message names it). */
  private failAll(
    batches: readonly PartitionBatch[],
    indexes: readonly number[],
    error: unknown,
    outcomes: PartitionOutcome[],
  ): void {
    const byTopic = new Map<string, KafkaProducerError>();
    for (const i of indexes) {
      const { topic } = batches[i];
      let mapped = byTopic.get(topic);
      if (!mapped) byTopic.set(topic, (mapped = toProducerError(error, topic)));
      outcomes[i] = { error: mapped };
    }
  }

  /** One lane's partitions, one `sendBatch` each, all at once. */
  private async sendLane(
    lane: number,
    batches: readonly PartitionBatch[],
    indexes: readonly number[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
    outcomes: PartitionOutcome[],
  ): Promise<void> {
    let lease: ProducerLease;
    try {
      lease = await this.pool.acquire(profile, lane);
    } catch (error) {
      this.failAll(batches, indexes, error, outcomes);
      return;
    }
    const book = this.bookOf(lease.producer);
    let inDoubt = false;
    try {
      await Promise.all(
        indexes.map(async (i) => {
          const own = [batches[i]];
          try {
            const request = this.request(own, profile, compression, book);
            const metadata = await lease.producer.sendBatch(request);
            this.answer(own, [i], metadata, profile, outcomes);
          } catch (error) {
            if (outcomeInDoubt(error)) inDoubt = true;
            outcomes[i] = { error: toProducerError(error, batches[i].topic) };
          }
        }),
      );
    } finally {
      lease.release(inDoubt);
    }
  }

  /** Each batch's base offset from kafkajs's answer; a partition it did not answer failed. */
  private answer(
    batches: readonly PartitionBatch[],
    indexes: readonly number[],
    metadata: RecordMetadata[],
    profile: ReliabilityProfile,
    outcomes: PartitionOutcome[],
  ): void {
    if (profile.acks === 0) {
      for (const i of indexes) outcomes[i] = { baseOffset: -1 };
      return;
    }
    const base = new Map<string, number>();
    for (const m of metadata) {
      base.set(slotKey(m.topicName, m.partition), Number(m.baseOffset ?? -1));
    }
    batches.forEach((batch, n) => {
      const first = base.get(slotKey(batch.topic, batch.partition));
      // kafkajs resolves without an answer for a partition when a leader move left it
      // unsent (it tracks answers per broker): never report that acked.
      outcomes[indexes[n]] =
        first === undefined
          ? {
              error: new SendFailedError(
                batch.topic,
                true,
                undefined,
                `no broker answer for partition ${batch.partition}`,
              ),
            }
          : { baseOffset: first };
    });
  }

  /**
   * A partition's lane: given round-robin the first time the partition is sent, then kept,
   * so one producer numbers all of its records.
   */
  private laneOf(batch: PartitionBatch, profile: ReliabilityProfile): number {
    const lanes = this.pool.lanes(profile);
    if (lanes === 1) return 0;
    const slot = slotKey(batch.topic, batch.partition);
    let lane = this.lanes.get(slot);
    if (lane === undefined) {
      lane = this.nextLane++ % lanes;
      this.lanes.set(slot, lane);
    }
    return lane;
  }

  private bookOf(producer: Producer): SequenceBook {
    let book = this.books.get(producer);
    if (!book) this.books.set(producer, (book = new SequenceBook()));
    return book;
  }

  /** A `sendBatch` request: one stand-in message per partition (see produce-request.ts). */
  private request(
    batches: readonly PartitionBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
    book?: SequenceBook,
  ): ProducerBatch {
    return {
      acks: profile.acks,
      timeout: this.settings.requestTimeoutMs,
      compression: compressionType(compression),
      topicMessages: this.topicMessages(batches, book),
    };
  }

  private topicMessages(batches: readonly PartitionBatch[], book?: SequenceBook): TopicMessages[] {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, partition, batch } of batches) {
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      for (const m of standIns(batch, partition, book)) messages.push(m);
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  }
}
