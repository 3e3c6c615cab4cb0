import type { KafkaProducerError } from '../errors/kafka-producer.error.js';
import type { DeliveryReport } from './delivery-report.interface.js';

/** What a listener is told of a record that failed. */
export interface FailedRecord {
  readonly topic: string;
  /** The event given to `send()` (undefined for `sendRaw`). */
  readonly event?: object;
}

/**
 * Observes every record's outcome (Spring Kafka's ProducerListener): for metrics,
 * logging or alerting. Called after the caller's own promise settles; what a listener
 * throws is logged and otherwise ignored.
 */
export interface ProducerListener {
  /** A record was acknowledged as its reliability asks. */
  onSuccess?(report: DeliveryReport): void;
  /** A `send()`, `sendMany()` or `sendRaw()` call failed, before or after sending. */
  onError?(error: KafkaProducerError, record: FailedRecord): void;
}
