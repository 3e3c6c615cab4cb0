import type { ValidatorOptions } from 'class-validator';
import type { CompressionCodec } from './interfaces/compression.interface.js';
import type {
  KafkaProducerModuleOptions,
  TracingOptions,
} from './interfaces/kafka-producer-options.interface.js';
import type { ReliabilitySpec } from './interfaces/reliability.interface.js';
import type { SerializerRef } from './interfaces/serializer.interface.js';
import type { PartitionerFn } from './partitioning/partitioner.js';
import type { ProducerListener } from './interfaces/producer-listener.interface.js';
import type { OutboxOptions } from './interfaces/outbox-options.interface.js';
import { DEFAULT_MAX_REQUEST_SIZE } from './kafka-producer.constants.js';
import { redact } from './utils/redact.js';

/** Module options with every default filled in. */
export interface ResolvedProducerOptions {
  readonly client: KafkaProducerModuleOptions['client'];
  readonly brokers: readonly string[];
  readonly deliveryTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxRequestSize: number;
  readonly compression: CompressionCodec;
  readonly maxInFlightRequests: number;
  readonly allowAutoTopicCreation: boolean;
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly bufferMemory: number;
  readonly maxBlockMs: number;
  readonly metadataMaxAgeMs: number;
  readonly partitioner?: PartitionerFn;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly listeners: readonly ProducerListener[];
  readonly metrics: boolean;
  /** `false` when tracing is off. */
  readonly tracing: false | TracingOptions;
  /** `false` when OpenTelemetry meters are off. */
  readonly otelMetrics:
    false | Exclude<KafkaProducerModuleOptions['otelMetrics'], boolean | undefined>;
  readonly outbox?: OutboxOptions;
  readonly reliability: ReliabilitySpec;
  readonly serializer: SerializerRef;
  readonly keySerializer: SerializerRef;
  /** `false` when validation is off. */
  readonly validation: false | ValidatorOptions;
  readonly connect: 'eager' | 'lazy';
  readonly connectRetries: number;
  readonly connectTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly schemaRegistry?: KafkaProducerModuleOptions['schemaRegistry'];
  readonly transactionalIdPrefix?: string;
  readonly transactionalProducers: number;
  readonly transactionTimeoutMs: number;
}

/** Fills in the defaults (those of today's Java producer). */
export function resolveOptions(options: KafkaProducerModuleOptions): ResolvedProducerOptions {
  const producer = options.producer ?? {};
  const brokers = Array.isArray(options.client.brokers) ? options.client.brokers : [];
  const validation = options.validation ?? true;
  return {
    client: options.client,
    brokers,
    deliveryTimeoutMs: producer.deliveryTimeoutMs ?? 120000,
    requestTimeoutMs: producer.requestTimeoutMs ?? 30000,
    maxRequestSize: producer.maxRequestSize ?? DEFAULT_MAX_REQUEST_SIZE,
    compression: producer.compression ?? 'none',
    maxInFlightRequests: producer.maxInFlightRequests ?? 5,
    allowAutoTopicCreation: producer.allowAutoTopicCreation ?? true,
    batchSize: producer.batchSize ?? 16384,
    lingerMs: producer.lingerMs ?? 5,
    bufferMemory: producer.bufferMemory ?? 32 * 1024 * 1024,
    maxBlockMs: producer.maxBlockMs ?? 60000,
    metadataMaxAgeMs: producer.metadataMaxAgeMs ?? 300000,
    partitioner: producer.partitioner,
    retryBackoffMs: producer.retryBackoffMs ?? 100,
    retryBackoffMaxMs: producer.retryBackoffMaxMs ?? 1000,
    listeners: options.listeners ?? [],
    metrics: options.metrics ?? true,
    otelMetrics:
      options.otelMetrics === false
        ? false
        : options.otelMetrics === true
          ? {}
          : (options.otelMetrics ?? {}),
    tracing:
      options.tracing === false ? false : options.tracing === true ? {} : (options.tracing ?? {}),
    outbox: options.outbox,
    reliability: options.reliability ?? 'all',
    serializer: options.serializer ?? 'json',
    keySerializer: options.keySerializer ?? 'string',
    validation: validation === false ? false : validation === true ? {} : validation,
    connect: options.connect ?? 'eager',
    connectRetries: Math.max(1, options.connectRetries ?? 5),
    connectTimeoutMs: options.connectTimeoutMs ?? 10000,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 30000,
    schemaRegistry: options.schemaRegistry,
    transactionalIdPrefix: options.transactionalIdPrefix,
    transactionalProducers: options.transactionalProducers ?? 3,
    transactionTimeoutMs: options.transactionTimeoutMs ?? 60000,
  };
}

/**
 * The options as one JSON text that is safe to log: SASL passwords and tokens, TLS keys,
 * certificates and passphrases are `[redacted]`, functions `[function]`, class instances
 * (stores, listeners) their class name (see utils/redact.ts).
 */
export function describeOptions(options: ResolvedProducerOptions): string {
  return JSON.stringify(redact(options));
}
