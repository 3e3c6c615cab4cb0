import { TransactionUsageError } from '../errors/transaction-usage.error.js';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { SendOptions } from '../interfaces/send-options.interface.js';
import type { KafkaTransaction, TransactionOffsets } from '../interfaces/transaction.interface.js';
import { Messages } from '../kafka-producer.messages.js';
import type { TransactionalTransport } from '../transport/transport.interface.js';
import type { TransactionEngine } from './transaction-engine.js';

/**
 * One transaction's `tx`: it checks each send (open, reliability 'all'), hands it to the
 * pooled producer's engine, and keeps every send's promise, so that the commit can wait for
 * all of them and abort when one failed, whether the callback awaited it or not.
 */
export class Transaction implements KafkaTransaction {
  private readonly pending: Promise<unknown>[] = [];
  private failure?: { error: unknown };
  private finished = false;

  constructor(
    private readonly engine: TransactionEngine,
    private readonly transport: TransactionalTransport,
  ) {}

  get transactionalId(): string {
    return this.transport.transactionalId;
  }

  send(event: object, options?: SendOptions): Promise<DeliveryReport> {
    try {
      this.check([event], options);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.track(this.engine.send(event, options));
  }

  sendMany(events: readonly object[], options?: SendOptions): Promise<DeliveryReport[]> {
    try {
      this.check(events, options);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.track(this.engine.sendMany(events, options));
  }

  sendOffsets(offsets: TransactionOffsets): Promise<void> {
    if (this.finished) {
      return Promise.reject(new TransactionUsageError('finished', Messages.transactionFinished));
    }
    return this.track(this.transport.sendOffsets(offsets.consumerGroupId, offsets.topics));
  }

  /** The callback is done: later calls are refused. */
  finish(): void {
    this.finished = true;
  }

  /**
   * Waits until every send and offset commit of the transaction is answered and the engine
   * holds none of its batches; resolves with the first failure, if any.
   */
  async settled(): Promise<{ error: unknown } | undefined> {
    for (let seen = 0; seen < this.pending.length;) {
      const batch = this.pending.slice(seen);
      seen = this.pending.length;
      await Promise.allSettled(batch);
    }
    await this.engine.flush();
    return this.failure;
  }

  private check(events: readonly object[], options: SendOptions | undefined): void {
    if (this.finished) throw new TransactionUsageError('finished', Messages.transactionFinished);
    for (const event of events) {
      const profile = this.engine.profileOf(event, options);
      if (profile.acks !== -1 || !profile.idempotent) {
        throw new TransactionUsageError('reliability', Messages.transactionReliability(profile.id));
      }
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.push(promise);
    promise.catch((error: unknown) => {
      this.failure ??= { error };
    });
    return promise;
  }
}
