import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/** The serialized record is larger than `maxRequestSize`. Nothing was sent. */
export class RecordTooLargeError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(Messages.recordTooLarge(size, limit));
  }
}
