import { DEFAULT_PRODUCER_NAME } from '../kafka-producer.constants.js';
import { runTransactional } from './transactional-scope.js';

/**
 * Runs the decorated (async) method as one Kafka transaction of the producer named
 * `producerName` (default: the default producer, `ProducerService`): every `send()` and
 * `sendMany()` of that producer inside the method, however deep, joins one transaction,
 * begun at the first send and committed when the method resolves (the method's promise
 * settles after the commit), aborted when it throws (the error is rethrown). A failed commit
 * rejects with TransactionAbortedError or TransactionFencedError. Needs the producer's
 * `transactionalIdPrefix`. A decorated method called inside another joins the outer
 * transaction.
 */
export function KafkaTransactional(producerName: string = DEFAULT_PRODUCER_NAME): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const method = descriptor.value as (...args: unknown[]) => unknown;
    descriptor.value = function (this: unknown, ...args: unknown[]) {
      return runTransactional(producerName, () => Promise.resolve(method.apply(this, args)));
    };
    return descriptor;
  };
}
