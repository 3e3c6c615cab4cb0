import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * No acknowledgement arrived within the delivery timeout. The record may still have
 * been written (the broker may ack after the deadline): consumers dedupe on `x-event-id`.
 */
export class DeliveryTimeoutError extends KafkaProducerError {
  readonly retriable = true;

  /** `cause`: the last retriable error, when retries ran out of time. */
  constructor(
    readonly topic: string,
    readonly timeoutMs: number,
    cause?: unknown,
  ) {
    super(Messages.deliveryTimeout(topic, timeoutMs), cause);
  }
}
