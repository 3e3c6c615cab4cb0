import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * The producer could not connect (after its retries), or is shutting down. Retriable:
 * a failed connect is never cached, so the next send tries again.
 */
export class ProducerNotConnectedError extends KafkaProducerError {
  readonly retriable: boolean;

  constructor(
    message: string,
    readonly brokers: readonly string[],
    options: { retriable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause);
    this.retriable = options.retriable ?? true;
  }
}
