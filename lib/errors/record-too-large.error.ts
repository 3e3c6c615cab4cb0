import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * The serialized record is larger than `maxRequestSize`, or than all of `bufferMemory`
 * (`limitName` says which). Nothing was sent.
 */
export class RecordTooLargeError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly size: number,
    readonly limit: number,
    /** The option whose limit the record exceeds. Default `'maxRequestSize'`. */
    readonly limitName: 'maxRequestSize' | 'bufferMemory' = 'maxRequestSize',
  ) {
    super(
      limitName === 'bufferMemory'
        ? Messages.recordOverBuffer(size, limit)
        : Messages.recordTooLarge(size, limit),
    );
  }
}
