import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * The broker or the client failed the send for a reason no more specific error covers.
 * `retriable` and `brokerError` (Kafka's error name, e.g. `NOT_ENOUGH_REPLICAS`) tell why.
 */
export class SendFailedError extends KafkaProducerError {
  constructor(
    readonly topic: string,
    readonly retriable: boolean,
    readonly brokerError: string | undefined,
    reason: string,
    cause?: unknown,
  ) {
    super(Messages.sendFailed(topic, reason, retriable), cause);
  }
}
