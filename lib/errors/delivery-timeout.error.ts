import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * No acknowledgement arrived within the delivery timeout. The record may still have
 * been written (the broker may ack after the deadline): consumers dedupe on `x-event-id`.
 */
export class DeliveryTimeoutError extends KafkaProducerError {
  readonly retriable = true;

  constructor(
    readonly topic: string,
    readonly timeoutMs: number,
  ) {
    super(Messages.deliveryTimeout(topic, timeoutMs));
  }
}
