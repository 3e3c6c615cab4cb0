import type { Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { connectFailure, toProducerError } from './error-mapper.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import { UnknownTopicError } from '../../errors/unknown-topic.error.js';
import { Messages } from '../../kafka-producer.messages.js';
import { backoffMs, sleep } from '../../utils/backoff.js';
import { CREATE_CLUSTER, kafkajsMismatch } from './kafkajs-internals.js';

/** One partition in kafkajs's metadata: its leader's node id (-1 or absent while none). */
export interface PartitionMetadata {
  readonly partitionId: number;
  readonly leader?: number | null;
}

/** The slice of kafkajs's (internal) Broker the transport uses. */
export interface KafkajsBroker {
  /** A Produce request (see produce-request.ts); undefined with acks 0. */
  produce(request: {
    acks: number;
    timeout: number;
    transactionalId?: string;
    topicData: Array<{
      topic: string;
      partitions: Array<{ partition: number; messages: unknown[] }>;
    }>;
  }): Promise<unknown>;
  initProducerId(request: {
    transactionalId?: string;
    transactionTimeout: number;
  }): Promise<{ producerId: string; producerEpoch: number }>;
}

/** The slice of kafkajs's (internal) Cluster the transport uses: metadata and brokers. */
export interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  /** Whether any of its broker connections is open (kafkajs's own socket state). */
  isConnected?(): boolean;
  findTopicPartitionMetadata(topic: string): PartitionMetadata[];
  findBroker(node: { nodeId: string }): Promise<KafkajsBroker>;
  findControllerBroker(): Promise<KafkajsBroker>;
}

/** Settings of the metadata cache. */
export interface TopicMetadataSettings {
  /** The bootstrap brokers, for errors. */
  readonly brokers: readonly string[];
  /** Ask for topics the broker does not know to be created (if the broker allows). */
  readonly allowAutoTopicCreation: boolean;
  /** How long a caller waits for a topic's partitions [max.block.ms]. */
  readonly maxBlockMs: number;
  /** Partition counts older than this are refreshed in the background [metadata.max.age.ms]. */
  readonly maxAgeMs: number;
}

/**
 * Partition counts per topic, which the partitioner needs before a record can join a
 * batch. Known counts are answered synchronously (the hot path awaits nothing).
 *
 * kafkajs keeps its cluster metadata private, and its admin client never auto-creates
 * topics, so this uses a kafkajs Cluster made by the client's internal factory (the
 * client's brokers, TLS, SASL and auto-creation semantics); the transport sends its
 * Produce requests through the same Cluster's brokers ({@link cluster}). kafkajs 2.2.4 is
 * the last kafkajs release, so the internal API is fixed.
 */
export class TopicMetadataCache {
  private readonly counts = new Map<string, { partitions: number; fetchedAt: number }>();
  private readonly loading = new Map<string, Promise<number>>();
  private connecting?: Promise<KafkajsCluster>;
  /** The Cluster once connected (until closed). */
  private connectedCluster?: KafkajsCluster;

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
    private readonly settings: TopicMetadataSettings,
    /** Makes the Cluster; kafkajs's internal factory unless a test gives its own. */
    private readonly createCluster: () => KafkajsCluster = () => kafkajsCluster(kafka, settings),
  ) {}

  /** The partition count of `topic`: a number when known, else a promise of it. */
  partitions(topic: string): number | Promise<number> {
    const known = this.counts.get(topic);
    if (known) {
      if (Date.now() - known.fetchedAt > this.settings.maxAgeMs) {
        this.load(topic).catch(() => undefined); // keep serving the old count meanwhile
      }
      return known.partitions;
    }
    return this.load(topic);
  }

  /** Records a count seen elsewhere (a metadata refresh). */
  update(topic: string, partitions: number): void {
    if (partitions <= 0) return;
    const before = this.counts.get(topic)?.partitions;
    if (before !== partitions) {
      this.logger.log(
        `metadata: topic ${topic} has ${partitions} partition(s)${before ? ` (was ${before})` : ''}`,
      );
    }
    this.counts.set(topic, { partitions, fetchedAt: Date.now() });
  }

  /** Re-reads the count of every known topic from the Cluster (after a metadata refresh). */
  refreshed(cluster: KafkajsCluster): void {
    for (const topic of this.counts.keys()) {
      this.update(topic, cluster.findTopicPartitionMetadata(topic).length);
    }
  }

  /**
   * Whether the Cluster has a broker connection open now: kafkajs's socket state, no request
   * (false before the first connect and after close).
   */
  connected(): boolean {
    const cluster = this.connectedCluster;
    if (!cluster) return false;
    return typeof cluster.isConnected === 'function' ? cluster.isConnected() : true;
  }

  /**
   * Fetches the cluster's metadata through the producer's own Cluster (which reconnects it if
   * it must), bounded by `timeoutMs`: whether it answered.
   */
  async probe(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const fetched = this.cluster()
      .then((cluster) => cluster.refreshMetadata())
      .then(
        () => true,
        () => false,
      );
    try {
      return await Promise.race([fetched, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const cluster = this.connecting;
    this.connecting = undefined;
    this.connectedCluster = undefined;
    if (cluster) await (await cluster.catch(() => undefined))?.disconnect();
  }

  private load(topic: string): Promise<number> {
    let loading = this.loading.get(topic);
    if (!loading) {
      loading = this.fetch(topic).finally(() => this.loading.delete(topic));
      this.loading.set(topic, loading);
    }
    return loading;
  }

  private async fetch(topic: string): Promise<number> {
    const deadline = Date.now() + this.settings.maxBlockMs;
    for (let attempt = 0; ; attempt++) {
      const cluster = await this.cluster();
      try {
        // kafkajs forgets a topic whose lookup failed: name it again on every attempt.
        await cluster.addMultipleTargetTopics([topic]);
        if (attempt > 0) await cluster.refreshMetadata();
        const partitions = cluster.findTopicPartitionMetadata(topic).length;
        if (partitions > 0) {
          this.update(topic, partitions);
          return partitions;
        }
      } catch (error) {
        const mapped = toProducerError(error, topic);
        // While the broker auto-creates a topic, it answers "unknown topic" (Java waits
        // max.block.ms too); with auto-creation off, an unknown topic fails at once.
        const beingCreated =
          mapped instanceof UnknownTopicError && this.settings.allowAutoTopicCreation;
        if ((!mapped.retriable && !beingCreated) || Date.now() >= deadline) throw mapped;
      }
      if (Date.now() >= deadline) {
        throw new SendFailedError(
          topic,
          true,
          undefined,
          Messages.metadataTimeout(topic, this.settings.maxBlockMs),
        );
      }
      await sleep(backoffMs(attempt + 1, 50, 1000, 0));
    }
  }

  /**
   * The connected Cluster. A failed connect is not kept; it rejects with its typed error when
   * trying again cannot help (credentials, TLS, ACLs), else with ProducerNotConnectedError.
   */
  cluster(): Promise<KafkajsCluster> {
    if (!this.connecting) {
      const cluster = this.createCluster();
      this.connecting = cluster.connect().then(
        () => (this.connectedCluster = cluster),
        (error: unknown) => {
          this.connecting = undefined; // never cache a failed connect
          cluster.disconnect().catch(() => undefined);
          throw connectFailure(error, this.settings.brokers);
        },
      );
    }
    return this.connecting;
  }
}

/** A kafkajs Cluster from the client's internal factory (same brokers, TLS, SASL). */
function kafkajsCluster(kafka: Kafka, settings: TopicMetadataSettings): KafkajsCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === CREATE_CLUSTER);
  const factory = symbol && (kafka as unknown as Record<symbol, unknown>)[symbol];
  if (typeof factory !== 'function') throw kafkajsMismatch('its internal cluster factory');
  return (factory as (o: object) => KafkajsCluster)({
    allowAutoTopicCreation: settings.allowAutoTopicCreation,
    metadataMaxAge: settings.maxAgeMs,
  });
}
