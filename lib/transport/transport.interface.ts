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
