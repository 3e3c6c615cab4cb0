import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * A call this module does not offer, such as request-reply (`send()`) on
 * `KafkaProducerClientProxy`, which only produces. `operation` names the call.
 */
export class NotSupportedError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly operation: string,
    message: string,
  ) {
    super(message);
  }
}
