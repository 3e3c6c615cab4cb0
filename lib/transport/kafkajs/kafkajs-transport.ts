import type { Logger } from '@nestjs/common';
import { Kafka, type KafkaConfig } from 'kafkajs';
import type { KafkaProducerError } from '../../errors/kafka-producer.error.js';
import { ProducerNotConnectedError } from '../../errors/producer-not-connected.error.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import type { CompressionCodec } from '../../interfaces/compression.interface.js';
import type { ReliabilityProfile } from '../../interfaces/reliability.interface.js';
import { maxInFlightFor } from '../../idempotence/in-flight.js';
import { Messages } from '../../kafka-producer.messages.js';
import { slotKey } from '../../record/slot-key.js';
import type { PartitionBatch, PartitionOutcome, Transport } from '../transport.interface.js';
import { connectWithRetries } from './connect.js';
import { brokerError, outcomeInDoubt, toProducerError } from './error-mapper.js';
import { checkKafkajsInternals } from './kafkajs-internals.js';
import { nestLogCreator } from './kafkajs-logger.js';
import { installProduceEncoder, standIn, type ProduceAnswer } from './produce-request.js';
import { ProducerIdentities } from './producer-identities.js';
import { SequenceBook, type ProducerIdentity, type SequenceOutcome } from './sequence-book.js';
import {
  TopicMetadataCache,
  type KafkajsCluster,
  type PartitionMetadata,
} from './topic-metadata.js';

/** What the kafkajs transport needs to know (the module's resolved options). */
export interface KafkajsTransportSettings {
  readonly client: KafkaConfig;
  readonly brokers: readonly string[];
  readonly requestTimeoutMs: number;
  readonly connectRetries: number;
  readonly connectTimeoutMs: number;
  readonly maxInFlightRequests: number;
  readonly allowAutoTopicCreation: boolean;
  readonly maxBlockMs: number;
  readonly metadataMaxAgeMs: number;
}

/** The broker's answers that mean the batch was written before (a retry of a written batch). */
const DUPLICATE = 'DUPLICATE_SEQUENCE_NUMBER';
/** The broker's answers that mean its numbering and the producer's disagree. */
const RENUMBER = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
]);

/**
 * Retriable answers the broker gives before it appends anything (Java's checks before the
 * log append); any other retriable answer may follow a write (a timeout waiting for the
 * replicas, NOT_ENOUGH_REPLICAS_AFTER_APPEND, a leader that moved meanwhile).
 */
const BEFORE_APPEND = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_ENOUGH_REPLICAS',
  'CORRUPT_MESSAGE',
]);

/** What a broker's error answer says about the batch's sequence numbers. */
function sequenceOutcome(error: { type?: string; retriable?: boolean }): SequenceOutcome {
  const type = error.type ?? '';
  if (RENUMBER.has(type)) return 'renumber';
  if (!error.retriable || BEFORE_APPEND.has(type)) return 'refused';
  return 'in-doubt';
}

/** A topic's leaders by partition, kept while kafkajs's metadata array for it is the same. */
interface Leaders {
  readonly source: readonly PartitionMetadata[];
  readonly byPartition: ReadonlyMap<number, number>;
}

/**
 * The {@link Transport} over kafkajs 2.2.4, sending like Java's Sender: one Produce request
 * per leader broker, carrying a record batch for every partition of the request that the
 * broker leads, written by the module (produce-request.ts) and sent on kafkajs's broker
 * connection, which keeps several requests in flight. kafkajs keeps the connections (TLS,
 * SASL), the metadata and the request encoding of everything else; the module keeps the
 * idempotent producer state itself: producer ids (InitProducerId), sequence numbers per
 * partition (SequenceBook), and a new producer id where Java bumps the epoch. The transport
 * does not retry: every batch gets its outcome, and the sender retries (same numbers).
 */
export class KafkajsTransport implements Transport {
  protected readonly metadata: TopicMetadataCache;
  private readonly identities: ProducerIdentities;
  protected readonly book = new SequenceBook();
  private readonly leaders = new Map<string, Leaders>();
  /** A request failed in a way that may mean moved leaders: refresh before the next. */
  private stale = false;
  private refreshing?: Promise<void>;
  private isClosed = false;

  /** The transactional id its Produce requests carry, and whose batches are transactional. */
  protected readonly transactional: string | null = null;

  constructor(
    protected readonly settings: KafkajsTransportSettings,
    protected readonly logger: Logger,
    /** The kafkajs client; made from `settings.client` unless a test gives its own. */
    kafka: Kafka = new Kafka({
      requestTimeout: settings.requestTimeoutMs,
      retry: { initialRetryTime: 100, retries: 3 },
      logCreator: nestLogCreator(logger),
      ...settings.client,
    }),
    /** Makes the kafkajs Cluster; the client's internal factory unless a test gives its own. */
    createCluster?: () => KafkajsCluster,
  ) {
    checkKafkajsInternals();
    installProduceEncoder();
    this.metadata = new TopicMetadataCache(
      kafka,
      logger,
      {
        brokers: settings.brokers,
        allowAutoTopicCreation: settings.allowAutoTopicCreation,
        maxBlockMs: settings.maxBlockMs,
        maxAgeMs: settings.metadataMaxAgeMs,
      },
      createCluster,
    );
    this.identities = new ProducerIdentities(() => this.metadata.cluster(), logger);
  }

  async connect(profile: ReliabilityProfile): Promise<void> {
    const { brokers, connectRetries, connectTimeoutMs } = this.settings;
    await connectWithRetries(
      async () => {
        await this.metadata.cluster();
        if (profile.idempotent) await this.identities.warm(profile.id);
      },
      { brokers, attempts: connectRetries, timeoutMs: connectTimeoutMs, label: profile.id },
      this.logger,
    );
  }

  partitions(topic: string): number | Promise<number> {
    return this.metadata.partitions(topic);
  }

  maxInFlight(profile: ReliabilityProfile): number {
    return maxInFlightFor(profile, this.settings.maxInFlightRequests);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  connected(): boolean {
    return !this.isClosed && this.metadata.connected();
  }

  probe(timeoutMs: number): Promise<boolean> {
    if (this.isClosed) return Promise.resolve(false);
    return this.metadata.probe(timeoutMs);
  }

  async close(): Promise<void> {
    this.isClosed = true;
    await this.metadata.close().catch((error: unknown) => {
      this.logger.error(`error while disconnecting: ${String(error)}`);
    });
  }

  async produce(
    batches: readonly PartitionBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): Promise<PartitionOutcome[]> {
    const outcomes = new Array<PartitionOutcome>(batches.length);
    const all = batches.map((_, i) => i);
    let cluster: KafkajsCluster;
    let identity: ProducerIdentity | undefined;
    try {
      if (this.isClosed) {
        throw new ProducerNotConnectedError(Messages.abandoned, this.settings.brokers, {
          retriable: true,
        });
      }
      cluster = await this.metadata.cluster();
      if (this.stale) await this.refresh(cluster);
      if (profile.idempotent) identity = await this.identity(batches, profile, compression);
    } catch (error) {
      this.fail(batches, all, error, outcomes);
      return outcomes;
    }
    const sealed = batches.map(({ topic, partition, batch }) => {
      if (!identity) return batch.seal(-1n, -1, -1);
      const { identity: id, sequence } = this.book.number(
        batch,
        slotKey(topic, partition),
        identity,
      );
      return batch.seal(id.producerId, id.epoch, sequence, this.transactional !== null);
    });
    const byLeader = new Map<number, number[]>();
    const leadersByTopic = new Map<string, ReadonlyMap<number, number> | undefined>();
    batches.forEach(({ topic, partition }, i) => {
      if (!leadersByTopic.has(topic)) leadersByTopic.set(topic, this.leadersOf(cluster, topic));
      const leader = leadersByTopic.get(topic)?.get(partition);
      if (leader === undefined) {
        this.stale = true;
        this.settle(batches[i], profile, 'refused');
        const reason = `no leader known for partition ${partition}`;
        outcomes[i] = { error: new SendFailedError(topic, true, 'LEADER_NOT_AVAILABLE', reason) };
        return;
      }
      const list = byLeader.get(leader);
      if (list) list.push(i);
      else byLeader.set(leader, [i]);
    });
    await Promise.all(
      [...byLeader].map(([leader, indexes]) =>
        this.send(cluster, leader, batches, sealed, indexes, profile, outcomes),
      ),
    );
    return outcomes;
  }

  /** The identity a request of `profile` numbers its batches with (a new one if one must). */
  protected async identity(
    batches: readonly PartitionBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): Promise<ProducerIdentity> {
    const key = `${profile.id}|${compression}`;
    const identity = await this.identities.get(key, profile.id);
    const renew = batches.some(({ topic, partition, batch }) =>
      this.book.needsNewIdentity(batch, slotKey(topic, partition), identity),
    );
    return renew ? this.identities.replace(key, identity) : identity;
  }

  /** One Produce request to `leader` with the batches at `indexes`. */
  private async send(
    cluster: KafkajsCluster,
    leader: number,
    batches: readonly PartitionBatch[],
    sealed: readonly Buffer[],
    indexes: readonly number[],
    profile: ReliabilityProfile,
    outcomes: PartitionOutcome[],
  ): Promise<void> {
    let answer: unknown;
    try {
      const broker = await cluster.findBroker({ nodeId: String(leader) });
      answer = await broker.produce({
        acks: profile.acks,
        timeout: this.settings.requestTimeoutMs,
        ...(this.transactional === null ? {} : { transactionalId: this.transactional }),
        topicData: this.topicData(batches, sealed, indexes),
      });
    } catch (error) {
      this.stale = true;
      const inDoubt = outcomeInDoubt(error);
      for (const i of indexes) this.settle(batches[i], profile, inDoubt ? 'in-doubt' : 'refused');
      this.fail(batches, indexes, error, outcomes);
      return;
    }
    if (profile.acks === 0) {
      for (const i of indexes) outcomes[i] = { baseOffset: -1 };
      return;
    }
    const answers = new Map<string, { errorCode: number; baseOffset: string }>();
    for (const { topicName, partitions } of (answer as ProduceAnswer).topics) {
      for (const p of partitions) answers.set(slotKey(topicName, p.partition), p);
    }
    for (const i of indexes) {
      const { topic, partition } = batches[i];
      const got = answers.get(slotKey(topic, partition));
      if (!got) {
        this.settle(batches[i], profile, 'in-doubt');
        const reason = `no broker answer for partition ${partition}`;
        outcomes[i] = { error: new SendFailedError(topic, true, undefined, reason) };
        continue;
      }
      if (got.errorCode === 0) {
        this.settle(batches[i], profile, 'acked');
        outcomes[i] = { baseOffset: Number(got.baseOffset) };
        continue;
      }
      const error = brokerError(got.errorCode);
      if (error.type === DUPLICATE) {
        // Written by an earlier attempt the broker no longer has the offset of (Java: acked).
        this.settle(batches[i], profile, 'acked');
        outcomes[i] = { baseOffset: -1 };
        continue;
      }
      if (error.retriable) this.stale = true;
      this.settle(batches[i], profile, sequenceOutcome(error));
      outcomes[i] = { error: this.refusal(error, topic) };
    }
  }

  /** The typed error a partition's error answer (other than a duplicate) fails with. */
  protected refusal(error: Error & { type?: string }, topic: string): KafkaProducerError {
    return toProducerError(error, topic);
  }

  private settle(
    { topic, partition, batch }: PartitionBatch,
    profile: ReliabilityProfile,
    outcome: SequenceOutcome,
  ): void {
    if (profile.idempotent) this.book.settle(batch, slotKey(topic, partition), outcome);
  }

  /** The same failure for every batch at `indexes`: one typed error per topic (its message names it). */
  private fail(
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

  /** The request's topics and partitions, one stand-in each (see produce-request.ts). */
  private topicData(
    batches: readonly PartitionBatch[],
    sealed: readonly Buffer[],
    indexes: readonly number[],
  ) {
    const byTopic = new Map<string, Array<{ partition: number; messages: unknown[] }>>();
    for (const i of indexes) {
      const { topic, partition } = batches[i];
      let partitions = byTopic.get(topic);
      if (!partitions) byTopic.set(topic, (partitions = []));
      partitions.push({ partition, messages: [standIn(sealed[i], partition)] });
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  }

  /** A topic's partition leaders in kafkajs's metadata (partitions without one left out). */
  private leadersOf(
    cluster: KafkajsCluster,
    topic: string,
  ): ReadonlyMap<number, number> | undefined {
    let source: readonly PartitionMetadata[];
    try {
      source = cluster.findTopicPartitionMetadata(topic);
    } catch {
      return undefined; // not loaded yet
    }
    let known = this.leaders.get(topic);
    if (!known || known.source !== source) {
      const byPartition = new Map<number, number>();
      for (const p of source) {
        if (typeof p.leader === 'number' && p.leader >= 0) byPartition.set(p.partitionId, p.leader);
      }
      this.leaders.set(topic, (known = { source, byPartition }));
    }
    return known.byPartition;
  }

  /** Refreshes kafkajs's metadata once for every request that asks meanwhile. */
  private refresh(cluster: KafkajsCluster): Promise<void> {
    this.refreshing ??= cluster
      .refreshMetadata()
      .then(() => {
        this.stale = false;
        this.metadata.refreshed(cluster);
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }
}
