import { KafkaProducerError } from './kafka-producer.error.js';

/** An explicit partition that is not an integer >= 0, or that the topic does not have. Nothing was sent. */
export class InvalidPartitionError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly partition: unknown,
    message: string,
  ) {
    super(message);
  }
}
