import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * The transaction could not commit and was aborted: none of its records are visible to a
 * `read_committed` consumer and its offsets are not committed. `cause` says why (a record
 * that failed, the transaction timeout, the coordinator's refusal). Running the whole
 * transaction again is safe.
 */
export class TransactionAbortedError extends KafkaProducerError {
  readonly retriable = true;

  constructor(
    readonly transactionalId: string,
    cause: unknown,
  ) {
    super(Messages.transactionAborted(transactionalId, cause), cause);
  }
}
