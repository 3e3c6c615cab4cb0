import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * A newer producer took this transactional id (another app instance with the same
 * `transactionalIdPrefix`, or a restart of this one): the broker refuses this producer's
 * transactions (`PRODUCER_FENCED`, `INVALID_PRODUCER_EPOCH`). Nothing of the transaction is
 * committed, and the pooled producer it ran on is not used again.
 */
export class TransactionFencedError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly transactionalId: string,
    cause?: unknown,
  ) {
    super(Messages.transactionFenced(transactionalId), cause);
  }
}
