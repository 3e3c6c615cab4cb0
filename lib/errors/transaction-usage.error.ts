import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * A transaction used in a way it cannot be (nothing is sent): `transaction()` without
 * `transactionalIdPrefix`, a reliability other than `'all'` inside a transaction, `tx.send`
 * after the transaction's callback finished, or a `transaction()` inside another one of the
 * same producer. `reason` names which.
 */
export class TransactionUsageError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly reason: 'not-configured' | 'reliability' | 'finished' | 'nested',
    message: string,
  ) {
    super(message);
  }
}
