import type { ModuleMetadata, Type } from '@nestjs/common';
import type { KafkaConfig } from 'kafkajs';
import type { ValidatorOptions } from 'class-validator';
import type { CompressionCodec } from './compression.interface.js';
import type { ReliabilitySpec } from './reliability.interface.js';
import type { SerializerRef } from './serializer.interface.js';
import type { PartitionerFn } from '../partitioning/partitioner.js';
import type { ProducerListener } from './producer-listener.interface.js';
import type { OutboxOptions } from './outbox-options.interface.js';
import type { SchemaRegistryApi, SchemaRegistryOptions } from './schema-registry.interface.js';

/** Producer settings; the defaults follow today's Java producer. */
export interface ProducerSettings {
  /** Upper bound on the time from `send()` to its ack (Java `delivery.timeout.ms`). Default 120000. */
  deliveryTimeoutMs?: number;
  /** How long the broker may take to answer one produce request (Java `request.timeout.ms`). Default 30000. */
  requestTimeoutMs?: number;
  /** Largest serialized record accepted (Java `max.request.size`). Default 1048576. */
  maxRequestSize?: number;
  /** Compression of every batch unless a class or call says otherwise. Default `'none'`. */
  compression?: CompressionCodec;
  /**
   * Requests in flight per reliability profile and codec (each one Produce request per
   * leader broker it has batches for), one per partition at a time. Default 5; at most 5
   * for an idempotent profile (Java `max.in.flight.requests.per.connection`).
   */
  maxInFlightRequests?: number;
  /** Whether the broker may create a topic on the first send to it (if the broker allows). Default `true`. */
  allowAutoTopicCreation?: boolean;
  /**
   * Bytes that make a batch full and sent at once (Java `batch.size`); also the bytes the
   * sticky partitioner sends to one partition before keyless records move on. Default 16384.
   */
  batchSize?: number;
  /** How long a batch waits for more records before it is sent (Java `linger.ms`); 0 sends at once. Default 5. */
  lingerMs?: number;
  /** Bytes the producer may hold for records not yet acked (Java `buffer.memory`). Default 33554432 (32 MiB). */
  bufferMemory?: number;
  /** How long `send()` waits for buffer memory or topic metadata before it rejects (Java `max.block.ms`). Default 60000. */
  maxBlockMs?: number;
  /**
   * Chooses the partition of records sent without an explicit one. Default: Java's
   * built-in partitioner (murmur2 of the key bytes; sticky for keyless records).
   */
  partitioner?: PartitionerFn;
  /** First wait before a failed request is retried (Java `retry.backoff.ms`); it doubles per retry, with ±20% jitter. Default 100. */
  retryBackoffMs?: number;
  /** Longest wait between retries (Java `retry.backoff.max.ms`). Default 1000. */
  retryBackoffMaxMs?: number;
  /** Partition counts are refreshed when older than this (Java `metadata.max.age.ms`). Default 300000. */
  metadataMaxAgeMs?: number;
}

/** Options of `KafkaProducerModule.forRoot()`. */
export interface KafkaProducerModuleOptions {
  /** The kafkajs client config: `brokers`, `clientId`, `ssl`, `sasl`, timeouts. */
  client: KafkaConfig;
  /** Producer settings (see `ProducerSettings` for each default). */
  producer?: ProducerSettings;
  /** An outbox (store, fallback mode, relay); see OutboxOptions. Default none. */
  outbox?: OutboxOptions;
  /** Told of every record's outcome, like Spring's ProducerListener. Default none. */
  listeners?: ProducerListener[];
  /**
   * Records Java's producer metrics for `ProducerService.metrics()` (counters, rates,
   * latencies; the buffer's gauges are read either way). Default `true`.
   */
  metrics?: boolean;
  /**
   * OpenTelemetry spans for each send, when `@opentelemetry/api` is installed (an optional
   * peer; without it nothing happens): `true` (default), `false`, or TracingOptions.
   */
  tracing?: boolean | TracingOptions;
  /**
   * OpenTelemetry meters (`messaging.client.sent.messages`,
   * `messaging.client.operation.duration`) when `@opentelemetry/api` is installed: `true`
   * (default), `false`, or `{ meterProvider }` (else the global one).
   */
  otelMetrics?: boolean | { meterProvider?: { getMeter(name: string, version?: string): unknown } };
  /** Reliability of events without `@Reliability`. Default `'all'` (acks -1, idempotent). */
  reliability?: ReliabilitySpec;
  /** Value serializer of events whose `@KafkaEvent` names none. Default `'json'`. */
  serializer?: SerializerRef;
  /** Key serializer of events whose `@KafkaEvent` names none. Default `'string'`. */
  keySerializer?: SerializerRef;
  /**
   * class-validator before each send: `true` (default), `false`, or class-validator's
   * `ValidatorOptions` (then on).
   */
  validation?: boolean | ValidatorOptions;
  /** `'eager'` (default) connects on bootstrap; `'lazy'` on the first send. */
  connect?: 'eager' | 'lazy';
  /** Connect attempts before giving up. Default 5. */
  connectRetries?: number;
  /** Time bound on each connect attempt. Default 10000 ms. */
  connectTimeoutMs?: number;
  /** How long shutdown waits for records in flight before it disconnects anyway. Default 30000 ms. */
  shutdownTimeoutMs?: number;
  /**
   * The schema registry of the `avro`, `protobuf` and `jsonSchema` serializers that name none:
   * its options (`{ url, auth?, tls?, timeoutMs?, retries? }`) or a `SchemaRegistryClient`.
   * Default none.
   */
  schemaRegistry?: SchemaRegistryOptions | SchemaRegistryApi;
  /**
   * Turns on `transaction()`: the pooled transactional producers take the transactional ids
   * `<prefix>-0` … `<prefix>-<n-1>`. It must be unique per app instance and stable across its
   * restarts: a new producer with a transactional id fences the older one (its transactions
   * fail with TransactionFencedError), which is how a restarted instance stops its own
   * zombie, and how two instances sharing a prefix would stop each other. Default none
   * (`transaction()` rejects with TransactionUsageError).
   */
  transactionalIdPrefix?: string;
  /**
   * Transactional producers in the pool: that many transactions run at once, the others
   * wait for a free one. Default 3.
   */
  transactionalProducers?: number;
  /**
   * The longest a transaction may stay open; the broker aborts it after that, and the
   * module aborts one whose callback and sends took longer [transaction.timeout.ms].
   * Default 60000 ms.
   */
  transactionTimeoutMs?: number;
}

/** Options that say which producer a module registers and how it is scoped. */
export interface KafkaProducerModuleExtras {
  /** Name of the producer: inject it with `@InjectProducer(name)`. Default: the default producer (`ProducerService`). */
  name?: string;
  /** Register the producer globally. Default `false`. */
  isGlobal?: boolean;
  /**
   * Also provide (and export) a `KafkaProducerClientProxy` over this producer under this
   * token, for code that injects a `ClientKafka` by token and only `emit()`s (needs
   * `@nestjs/microservices`). Default none.
   */
  clientProxy?: string | symbol;
}

/** Implemented by classes given to `forRootAsync({ useClass | useExisting })`. */
export interface KafkaProducerOptionsFactory {
  createKafkaProducerOptions(): KafkaProducerModuleOptions | Promise<KafkaProducerModuleOptions>;
}

/** Options of `KafkaProducerModule.forRootAsync()`. */
export interface KafkaProducerModuleAsyncOptions
  extends KafkaProducerModuleExtras, Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: any[]) => KafkaProducerModuleOptions | Promise<KafkaProducerModuleOptions>;
  inject?: any[];
  useClass?: Type<KafkaProducerOptionsFactory>;
  useExisting?: Type<KafkaProducerOptionsFactory>;
}

/** Tracing settings (see README "Observability"). */
export interface TracingOptions {
  /** An OpenTelemetry `TracerProvider` to use instead of the global one. Default the global one. */
  tracerProvider?: { getTracer(name: string, version?: string): unknown };
  /**
   * The messaging semantic conventions of the span attributes: `'v1.27'` (the names of
   * semconv 1.27 to 1.44), `'v1.45'` (1.45's renames) or `'both'`. Default from
   * `OTEL_SEMCONV_STABILITY_OPT_IN` (`messaging` → `'v1.45'`, `messaging/dup` → `'both'`),
   * else `'v1.27'`.
   */
  semconv?: 'v1.27' | 'v1.45' | 'both';
}
