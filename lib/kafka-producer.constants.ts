/** Metadata key of `@KafkaEvent`. */
export const KAFKA_EVENT_METADATA = 'kafka-producer:event';
/** Metadata key of `@KeyedBy`. */
export const KEYED_BY_METADATA = 'kafka-producer:keyed-by';
/** Metadata key of `@Reliability`. */
export const RELIABILITY_METADATA = 'kafka-producer:reliability';
/** Metadata key of the `@KafkaHeader` properties of a class. */
export const KAFKA_HEADERS_METADATA = 'kafka-producer:headers';

/** Header that carries each event's stable id (a UUIDv7). */
export const EVENT_ID_HEADER = 'x-event-id';

/** Name of the default producer (the one injected as `ProducerService`). */
export const DEFAULT_PRODUCER_NAME = 'default';
/** Prefix of the injection tokens of named producers and their options. */
export const PRODUCER_TOKEN_PREFIX = 'KafkaProducer';
export const PRODUCER_OPTIONS_TOKEN_PREFIX = 'KafkaProducerOptions';

/** Logger context of the module. */
export const LOGGER_CONTEXT = 'KafkaProducerModule';

/** Java's `max.request.size` default (1 MiB). */
export const DEFAULT_MAX_REQUEST_SIZE = 1048576;

/** Kafka's legal topic names: 1 to 249 of [a-zA-Z0-9._-], not "." or "..". */
export const TOPIC_NAME_PATTERN = /^[a-zA-Z0-9._-]{1,249}$/;

/** Metadata key of `@Outboxed`. */
export const OUTBOXED_METADATA = 'kafka-producer:outboxed';
