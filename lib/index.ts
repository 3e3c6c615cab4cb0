// The public API, by name. Everything else under lib/ is internal.
export { InjectOutbox, InjectProducer } from './kafka-producer.decorators.js';
export { KafkaEvent, type KafkaEventOptions } from './decorators/kafka-event.decorator.js';
export { KafkaHeader } from './decorators/kafka-header.decorator.js';
export { KafkaTransactional } from './transactions/kafka-transactional.decorator.js';
export { KeyedBy, type EventKey, type KeyedBySpec } from './decorators/keyed-by.decorator.js';
export { Reliability } from './decorators/reliability.decorator.js';

export { AuthenticationError } from './errors/authentication.error.js';
export { AuthorizationError, type AuthorizationResource } from './errors/authorization.error.js';
export { BufferExhaustedError } from './errors/buffer-exhausted.error.js';
export { ConfigurationError } from './errors/configuration.error.js';
export { DeliveryTimeoutError } from './errors/delivery-timeout.error.js';
export { InvalidEventError } from './errors/invalid-event.error.js';
export { InvalidPartitionError } from './errors/invalid-partition.error.js';
export { InvalidTopicError } from './errors/invalid-topic.error.js';
export { KafkaProducerError } from './errors/kafka-producer.error.js';
export { NotSupportedError } from './errors/not-supported.error.js';
export { KeyDerivationError } from './errors/key-derivation.error.js';
export { ProducerNotConnectedError } from './errors/producer-not-connected.error.js';
export { RecordTooLargeError } from './errors/record-too-large.error.js';
export { SchemaMismatchError, type SchemaViolation } from './errors/schema-mismatch.error.js';
export {
  SchemaRegistryError,
  type SchemaRegistryErrorDetails,
} from './errors/schema-registry.error.js';
export { SendFailedError } from './errors/send-failed.error.js';
export { SerializationError } from './errors/serialization.error.js';
export { TlsError } from './errors/tls.error.js';
export { TransactionAbortedError } from './errors/transaction-aborted.error.js';
export { TransactionFencedError } from './errors/transaction-fenced.error.js';
export { TransactionUsageError } from './errors/transaction-usage.error.js';
export { UnknownTopicError } from './errors/unknown-topic.error.js';
export { ValidationError, type PropertyViolation } from './errors/validation.error.js';

export type { CompressionCodec } from './interfaces/compression.interface.js';
export type { DeliveryReport } from './interfaces/delivery-report.interface.js';
export type {
  KafkaProducerModuleAsyncOptions,
  KafkaProducerModuleExtras,
  KafkaProducerModuleOptions,
  KafkaProducerOptionsFactory,
  ProducerSettings,
  TracingOptions,
} from './interfaces/kafka-producer-options.interface.js';
export type { FailedRecord, ProducerListener } from './interfaces/producer-listener.interface.js';
export type { HealthCheckOptions, ProducerHealth } from './interfaces/producer-health.interface.js';
export type {
  OutboxMetricValues,
  ProducerMetrics,
  ProducerMetricValues,
  ProducerTopicMetricValues,
} from './interfaces/producer-metrics.interface.js';
export type {
  ReliabilityLevel,
  ReliabilityOptions,
  ReliabilitySpec,
} from './interfaces/reliability.interface.js';
export type { KafkaTransaction, TransactionOffsets } from './interfaces/transaction.interface.js';
export type {
  RawRecord,
  RawSendOptions,
  SendOptions,
} from './interfaces/send-options.interface.js';
export type {
  CompatibilityLevel,
  ProtobufSerializerOptions,
  RegisteredSchema,
  RegistryAwareSerializer,
  SchemaDefinition,
  SchemaRegistryApi,
  SchemaRegistryAuth,
  SchemaRegistryOptions,
  SchemaSerializerOptions,
  SchemaType,
  SubjectNameContext,
  SubjectNameStrategy,
} from './interfaces/schema-registry.interface.js';
export type {
  SerializationContext,
  Serializer,
  SerializerName,
  SerializerRef,
} from './interfaces/serializer.interface.js';

export { murmur2, partitionForKey, toPositive } from './partitioning/murmur2.js';
export {
  DefaultPartitioner,
  type PartitionerFn,
  type PartitionRequest,
} from './partitioning/partitioner.js';
export { StickyPartitioner } from './partitioning/sticky-partitioner.js';

export { BufferSerializer } from './serialization/buffer.serializer.js';
export { IntegerSerializer } from './serialization/integer.serializer.js';
export { JsonSerializer } from './serialization/json.serializer.js';
export { StringSerializer } from './serialization/string.serializer.js';
export { SchemaRegistryClient } from './serialization/registry/schema-registry.client.js';
export type { SchemaSerializer } from './serialization/registry/schema-serializer.js';
export {
  avro,
  jsonSchema,
  protobuf,
  type AvroSchema,
  type JsonSchema,
} from './serialization/registry/schema-serializers.js';
export { SCHEMA_ID_HEADERS } from './serialization/registry/wire-format.js';

export { COMPRESSION_CODECS, ensureCodec } from './compression/compression-registry.js';
export { DEFAULT_PRODUCER_NAME, EVENT_ID_HEADER } from './kafka-producer.constants.js';
export {
  getOutboxToken,
  getProducerOptionsToken,
  getProducerToken,
} from './kafka-producer.utils.js';

export type { OutboxOptions, OutboxRelayOptions } from './interfaces/outbox-options.interface.js';
export { OutboxInterceptor, Outboxed, type OutboxedOptions } from './outbox/outbox.interceptor.js';
export { OutboxService, type EnqueueOptions } from './outbox/outbox.service.js';
export type {
  ClaimOptions,
  OutboxAddOptions,
  OutboxRecord,
  OutboxRow,
  OutboxStats,
  OutboxStatus,
  OutboxStore,
} from './outbox/stores/outbox-store.interface.js';
export {
  MemoryOutboxStore,
  type MemoryOutboxStoreOptions,
} from './outbox/stores/memory-outbox.store.js';
export {
  SqliteOutboxStore,
  type SqliteDatabaseLike,
  type SqliteOutboxStoreOptions,
} from './outbox/stores/sqlite-outbox.store.js';
export { sqliteOutboxTableSql } from './outbox/stores/sqlite-outbox.sql.js';
export {
  PostgresOutboxStore,
  type PgPoolClientLike,
  type PgPoolLike,
  type PgQueryableLike,
  type PgQueryResultLike,
  type PostgresOutboxStoreOptions,
} from './outbox/stores/postgres-outbox.store.js';
export { postgresOutboxTableSql, type PgTableName } from './outbox/stores/postgres-outbox.sql.js';

export { KafkaProducerModule } from './kafka-producer.module.js';
export { ProducerService } from './producer.service.js';
export { uuidv7 } from './utils/uuidv7.js';
