import type { KafkaProducerError } from '../errors/kafka-producer.error.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type { RecordBatch } from '../protocol/record-batch.js';

/** One partition's records of one request, encoded as one record batch (lib/protocol). */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly batch: RecordBatch;
}

/**
 * What became of one {@link PartitionBatch}: its base offset (the offset of its first
 * record; -1 with acks 0, where the broker says nothing), or the typed error it failed with.
 */
export type PartitionOutcome =
  | { readonly baseOffset: number; readonly error?: undefined }
  | { readonly error: KafkaProducerError; readonly baseOffset?: undefined };

/**
 * The port between the engine and a Kafka client: connections, metadata and Produce
 * requests. Everything above it (accumulator, sender, outbox) sees only this; the kafkajs
 * adapter (`transport/kafkajs/`) is the one place that knows the client.
 */
export interface Transport {
  /**
   * Connects what `profile` sends with (for an idempotent profile, every producer id it
   * uses is initialised: InitProducerId). Rejects with ProducerNotConnectedError, naming
   * the brokers tried, once the connect retries are used up. A failed connect is not cached.
   */
  connect(profile: ReliabilityProfile): Promise<void>;
  /** The partition count of `topic`: a number when known, else a promise of it. */
  partitions(topic: string): number | Promise<number>;
  /**
   * Sends one request's batches with `profile`'s acks and idempotence, and answers each
   * batch in the order given. Never rejects: a failure is a typed error per batch, whose
   * `retriable` says whether the same records may be sent again.
   */
  produce(
    batches: readonly PartitionBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): Promise<PartitionOutcome[]>;
  /** Requests a profile may have in flight at once that keep each partition in order. */
  maxInFlight(profile: ReliabilityProfile): number;
  /**
   * Whether a broker connection is open now, from the client's own state (no request).
   * A transport without it is taken as connected.
   */
  connected?(): boolean;
  /** Fetches metadata over its own connections within `timeoutMs`: whether it answered. */
  probe?(timeoutMs: number): Promise<boolean>;
  /** Set once {@link close} was called: nothing more is sent. */
  readonly closed: boolean;
  /** Disconnects everything; errors are logged, not thrown. */
  close(): Promise<void>;
}

/** One topic's offsets to commit for a consumer group inside a transaction (the next offset to read). */
export interface TopicOffsets {
  readonly topic: string;
  readonly partitions: ReadonlyArray<{ readonly partition: number; readonly offset: string }>;
}

/**
 * A {@link Transport} whose records belong to transactions of one transactional id, as
 * Java's TransactionManager keeps them: {@link begin} opens one, every partition is added
 * to it before its first batch, {@link sendOffsets} adds a consumer group's offsets, and
 * {@link end} commits or aborts it. One transaction at a time.
 */
export interface TransactionalTransport extends Transport {
  readonly transactionalId: string;
  /** Connects and takes the transactional id ({@link init}) unless it holds it already. */
  open(): Promise<void>;
  /**
   * InitProducerId with the transactional id (which fences every older producer of it and
   * aborts a transaction it left open); again after a failed transaction, for a new epoch.
   */
  init(): Promise<void>;
  /** Opens a transaction: the partitions of the following produce() calls join it. */
  begin(): void;
  /** Adds `groupId`'s offsets to the open transaction (AddOffsetsToTxn, TxnOffsetCommit). */
  sendOffsets(groupId: string, topics: readonly TopicOffsets[]): Promise<void>;
  /** Commits (or aborts) the open transaction: EndTxn. Call once every batch is answered. */
  end(commit: boolean): Promise<void>;
}
