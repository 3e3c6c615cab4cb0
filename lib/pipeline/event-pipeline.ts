import { ensureCodec, isCodecReady } from '../compression/compression-registry.js';
import { InvalidEventError } from '../errors/invalid-event.error.js';
import { InvalidPartitionError } from '../errors/invalid-partition.error.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { ReliabilityProfile, ReliabilitySpec } from '../interfaces/reliability.interface.js';
import type { RawRecord, SendOptions } from '../interfaces/send-options.interface.js';
import { Messages } from '../kafka-producer.messages.js';
import type { ResolvedProducerOptions } from '../kafka-producer.options.js';
import type { EventDescriptor } from '../metadata/event-descriptor.js';
import { EventMetadataAccessor } from '../metadata/event-metadata.accessor.js';
import { resolveReliability } from '../metadata/reliability-profile.js';
import { DefaultPartitioner, type PartitionerFn } from '../partitioning/partitioner.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { RecordBuilder, type TraceHeaderSource } from '../record/record-builder.js';
import { schemaRegistryOf } from '../serialization/registry/schema-registry.client.js';
import { resolveSerializer } from '../serialization/serializer-registry.js';
import { EventValidator } from '../validation/event-validator.js';

/** Decorator metadata is per class, so one cache serves every producer. */
const accessor = new EventMetadataAccessor();

/** A value now, or a promise of it when a stage had to wait (async validation, a codec). */
export type Maybe<T> = T | Promise<T>;

/** A record with everything decided but its partition: what, how reliably, how compressed. */
export interface PreparedRecord {
  readonly record: OutgoingRecord;
  readonly profile: ReliabilityProfile;
  readonly compression: CompressionCodec;
  /** Bytes it holds in bufferMemory, once admitted (see Admission). */
  reserved?: number;
}

/** What a value is, for the message of an InvalidEventError. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value}`;
}

/**
 * The stages of one event before the accumulator, as Java's `KafkaProducer.doSend` runs
 * them: describe (the class's decorators, cached) → validate → key and serialize (the
 * RecordBuilder) → reliability and codec, then partition once the topic's partition count
 * is known. Each stage is synchronous unless it has to wait (async validation, loading a
 * codec), so the usual send reaches the accumulator without a promise.
 */
export class EventPipeline {
  private readonly validator?: EventValidator;
  private readonly builder: RecordBuilder;
  private readonly partitioner?: PartitionerFn;
  private readonly defaultPartitioner?: DefaultPartitioner;
  readonly defaultProfile: ReliabilityProfile;
  private readonly profiles = new Map<ReliabilitySpec, ReliabilityProfile>();

  constructor(private readonly options: ResolvedProducerOptions) {
    if (options.validation) this.validator = new EventValidator(options.validation);
    this.builder = new RecordBuilder(
      resolveSerializer(options.serializer),
      resolveSerializer(options.keySerializer),
      options.maxRequestSize,
      schemaRegistryOf(options.schemaRegistry),
    );
    this.defaultProfile = resolveReliability(options.reliability, options.deliveryTimeoutMs);
    if (options.partitioner) this.partitioner = options.partitioner;
    else this.defaultPartitioner = new DefaultPartitioner(options.batchSize);
  }

  /** The event's decorators; throws InvalidEventError for anything but a decorated instance. */
  describe(event: unknown): EventDescriptor {
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw new InvalidEventError(Messages.invalidEvent(kindOf(event)));
    }
    return accessor.get(event.constructor);
  }

  /** Validates, derives the key, serializes, and picks reliability and codec. */
  prepare(
    event: object,
    descriptor: EventDescriptor,
    options: SendOptions,
    trace?: TraceHeaderSource,
  ): Maybe<PreparedRecord> {
    const validated = this.validator?.validate(event, descriptor.className);
    if (validated) return validated.then(() => this.build(event, descriptor, options, trace));
    return this.build(event, descriptor, options, trace);
  }

  /** A `sendRaw` record: its bytes as given, no decorators. */
  prepareRaw(
    topic: string,
    raw: RawRecord,
    profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): PreparedRecord {
    return { record: this.builder.fromRaw(topic, raw), profile, compression };
  }

  /** The explicit partition (checked against the topic), or the partitioner's choice. */
  partitionFor(record: OutgoingRecord, numPartitions: number): number {
    const { topic, key, size } = record;
    const partition =
      record.partition ??
      (this.partitioner
        ? this.partitioner({ topic, numPartitions, key, size })
        : this.defaultPartitioner!.choose(topic, numPartitions, key, size));
    if (!Number.isInteger(partition) || partition < 0 || partition >= numPartitions) {
      throw new InvalidPartitionError(
        partition,
        Messages.noSuchPartition(topic, partition, numPartitions),
      );
    }
    return partition;
  }

  /** The profile of a reliability spec (the default one for undefined), resolved once. */
  profileFor(spec: ReliabilitySpec | undefined): ReliabilityProfile {
    if (spec === undefined) return this.defaultProfile;
    let profile = this.profiles.get(spec);
    if (!profile) {
      profile = resolveReliability(spec, this.options.deliveryTimeoutMs);
      this.profiles.set(spec, profile);
    }
    return profile;
  }

  private build(
    event: object,
    descriptor: EventDescriptor,
    options: SendOptions,
    trace: TraceHeaderSource | undefined,
  ): Maybe<PreparedRecord> {
    const built = this.builder.fromEvent(event, descriptor, options, trace);
    if (built instanceof Promise)
      return built.then((record) => this.finish(record, descriptor, options));
    return this.finish(built, descriptor, options);
  }

  private finish(
    record: OutgoingRecord,
    descriptor: EventDescriptor,
    options: SendOptions,
  ): Maybe<PreparedRecord> {
    const compression = options.compression ?? descriptor.compression ?? this.options.compression;
    const profile = this.profileFor(options.reliability ?? descriptor.reliability);
    const prepared: PreparedRecord = { record, profile, compression, reserved: undefined };
    if (!isCodecReady(compression)) return ensureCodec(compression).then(() => prepared);
    return prepared;
  }
}
