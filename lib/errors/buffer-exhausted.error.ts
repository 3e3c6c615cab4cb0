import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * The producer's buffer (`bufferMemory`) stayed full for `maxBlockMs`: the broker is not
 * keeping up, or is down. Nothing of this record was sent; sending it later may succeed.
 */
export class BufferExhaustedError extends KafkaProducerError {
  readonly retriable = true;

  constructor(
    readonly recordBytes: number,
    readonly bufferMemory: number,
    readonly maxBlockMs: number,
  ) {
    super(Messages.bufferExhausted(recordBytes, bufferMemory, maxBlockMs));
  }
}
