/**
 * The Java producer's `producer-metrics` group, under Java's names and with Java's meanings
 * (rates per second over two 30-second windows; averages and maxima over the same windows,
 * NaN when nothing was recorded in them, as in Java).
 */
export interface ProducerMetricValues {
  /** Records sent (each attempt counts, retries included, as in Java). */
  readonly 'record-send-total': number;
  readonly 'record-send-rate': number;
  /** Sends that failed (before or after sending: the records whose `send()` rejected). */
  readonly 'record-error-total': number;
  readonly 'record-error-rate': number;
  /** Records sent again after a retriable failure. */
  readonly 'record-retry-total': number;
  readonly 'record-retry-rate': number;
  /** Ms a batch waited in the accumulator before it was drained into a request. */
  readonly 'record-queue-time-avg': number;
  readonly 'record-queue-time-max': number;
  /** Ms from a Produce request to its response. */
  readonly 'request-latency-avg': number;
  readonly 'request-latency-max': number;
  /** Produce requests sent. */
  readonly 'request-total': number;
  readonly 'request-rate': number;
  /** Bytes sent per partition per request (the record batch on the wire). */
  readonly 'batch-size-avg': number;
  readonly 'batch-size-max': number;
  /** Records per request. */
  readonly 'records-per-request-avg': number;
  /** Record batch bytes after compression over before (1 without compression). */
  readonly 'compression-rate-avg': number;
  /** Record batch bytes sent. */
  readonly 'byte-total': number;
  readonly 'byte-rate': number;
  /** `bufferMemory`. */
  readonly 'buffer-total-bytes': number;
  /** Bytes of `bufferMemory` free now. */
  readonly 'buffer-available-bytes': number;
  /** Ns sends have waited for `bufferMemory` in all (Java's deprecated name, same value). */
  readonly 'bufferpool-wait-time-total': number;
  /** Ns sends have waited for `bufferMemory` in all. */
  readonly 'bufferpool-wait-time-ns-total': number;
  /** Sends waiting for `bufferMemory` now (Java counts threads blocked in `send()`). */
  readonly 'waiting-threads': number;
}

/** The Java producer's `producer-topic-metrics` group, for one topic. */
export interface ProducerTopicMetricValues {
  readonly 'record-send-total': number;
  readonly 'record-send-rate': number;
  readonly 'record-error-total': number;
  readonly 'record-error-rate': number;
  readonly 'record-retry-total': number;
  readonly 'record-retry-rate': number;
  readonly 'byte-total': number;
  readonly 'byte-rate': number;
  readonly 'compression-rate': number;
}

/** The outbox's numbers (OutboxStats under metric names). */
export interface OutboxMetricValues {
  /** Rows still to publish (PENDING, PROCESSING, FAILED). */
  readonly backlog: number;
  /** Age in ms of the oldest row still to publish; 0 when there is none. */
  readonly 'oldest-age-ms': number;
  /** DEAD rows. */
  readonly dead: number;
}

/** What `ProducerService.metrics()` resolves with. */
export interface ProducerMetrics {
  /** The producer's name (`'default'` for the one injected as `ProducerService`). */
  readonly producer: string;
  /** The kafkajs `clientId` (Java's `client-id` tag). */
  readonly clientId: string;
  readonly metrics: ProducerMetricValues;
  /** Per topic sent to (or failed for). */
  readonly topics: Readonly<Record<string, ProducerTopicMetricValues>>;
  /** Only with an outbox. */
  readonly outbox?: OutboxMetricValues;
}
