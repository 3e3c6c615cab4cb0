import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '@nestjs/common';
import { ConfigurationError } from '../errors/configuration.error.js';
import { ProducerNotConnectedError } from '../errors/producer-not-connected.error.js';
import type { TransactionFencedError } from '../errors/transaction-fenced.error.js';
import { TransactionUsageError } from '../errors/transaction-usage.error.js';
import type { KafkaTransaction } from '../interfaces/transaction.interface.js';
import { Messages } from '../kafka-producer.messages.js';
import type { Transaction } from './transaction.js';
import { TransactionalProducer, type TransactionalParts } from './transactional-producer.js';

/** The pool's settings (the module's options). */
export interface TransactionPoolSettings {
  /** Undefined: transactions are off. */
  readonly transactionalIdPrefix?: string;
  readonly transactionalProducers: number;
  readonly transactionTimeoutMs: number;
}

/**
 * A producer's transactions: a pool of `transactionalProducers` transactional producers
 * (`<prefix>-0` …), each running one transaction at a time, so concurrent transactions run
 * side by side instead of queueing behind one; a transaction waits (FIFO) only when all are
 * busy. Opening the pool takes every transactional id at once, which fences all the
 * producers an older instance with the same prefix still has. A fenced member leaves the
 * pool and is not replaced (a new one with its id would fence the instance that owns it
 * now); once all are fenced, `transaction()` rejects with TransactionFencedError.
 *
 * The callback runs in an AsyncLocalStorage context, which finds a nested `transaction()`
 * and the transaction that `@KafkaTransactional()` sends join.
 */
export class TransactionPool {
  private readonly context = new AsyncLocalStorage<Transaction>();
  private members?: TransactionalProducer[];
  private readonly free: TransactionalProducer[] = [];
  private readonly waiting: Array<{
    resolve: (member: TransactionalProducer) => void;
    reject: (error: Error) => void;
  }> = [];
  private opening?: Promise<void>;
  private fencedWith?: TransactionFencedError;
  private closed = false;

  constructor(
    private readonly settings: TransactionPoolSettings,
    private readonly create: (transactionalId: string) => TransactionalParts,
    private readonly logger: Logger,
    /** The bootstrap brokers, for errors. */
    private readonly brokers: readonly string[] = [],
  ) {
    const size = settings.transactionalProducers;
    if (!Number.isInteger(size) || size < 1) {
      throw new ConfigurationError(
        `transactionalProducers must be a whole number of at least 1; got ${String(size)}`,
      );
    }
    if (settings.transactionalIdPrefix === '') {
      throw new ConfigurationError('transactionalIdPrefix must not be empty');
    }
  }

  /** Whether transactions are configured (`transactionalIdPrefix` is set). */
  get enabled(): boolean {
    return this.settings.transactionalIdPrefix !== undefined;
  }

  /** The transaction the current call runs in, if any (of this producer). */
  current(): KafkaTransaction | undefined {
    return this.context.getStore();
  }

  /** Starts every member and takes every transactional id (a no-op when transactions are off). */
  open(): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    if (!this.members) {
      const prefix = this.settings.transactionalIdPrefix!;
      this.members = Array.from(
        { length: this.settings.transactionalProducers },
        (_, i) =>
          new TransactionalProducer(
            this.create(`${prefix}-${i}`),
            this.settings.transactionTimeoutMs,
            this.logger,
          ),
      );
      this.free.push(...this.members);
    }
    const members = this.members;
    const opening = (this.opening ??= Promise.all(members.map((m) => m.open())).then(() => {}));
    opening.catch(() => {
      if (this.opening === opening) this.opening = undefined;
    });
    return opening;
  }

  /** Runs `callback` as one transaction on a free member: see ProducerService.transaction. */
  async transaction<T>(callback: (tx: KafkaTransaction) => Promise<T>): Promise<T> {
    if (!this.enabled) {
      throw new TransactionUsageError('not-configured', Messages.transactionNotConfigured);
    }
    if (this.context.getStore()) {
      throw new TransactionUsageError('nested', Messages.transactionNested);
    }
    if (this.closed) throw this.closedError();
    await this.open();
    const member = await this.acquire();
    try {
      return await member.run(callback, (tx, call) => this.context.run(tx, call));
    } finally {
      this.release(member);
    }
  }

  /** Closes every member (each flushes what it holds first). */
  async close(): Promise<void> {
    this.closed = true;
    const members = this.members ?? [];
    for (const w of this.waiting.splice(0)) w.reject(this.closedError());
    await Promise.all(members.map((m) => m.close()));
  }

  private acquire(): Promise<TransactionalProducer> {
    const member = this.free.shift();
    if (member) return Promise.resolve(member);
    const fenced = this.allFenced();
    if (fenced) return Promise.reject(fenced);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(member: TransactionalProducer): void {
    if (member.fenced) {
      this.logger.error(`${member.transactionalId} is fenced: it leaves the pool`);
      this.fencedWith = member.fenced;
      this.members = this.members?.filter((m) => m !== member);
      void member.close();
      const fenced = this.allFenced();
      if (fenced) for (const w of this.waiting.splice(0)) w.reject(fenced);
      return;
    }
    const next = this.waiting.shift();
    if (next) next.resolve(member);
    else this.free.push(member);
  }

  private closedError(): ProducerNotConnectedError {
    return new ProducerNotConnectedError(Messages.closed, this.brokers, { retriable: false });
  }

  /** The fencing error once no member is left, else undefined. */
  private allFenced(): TransactionFencedError | undefined {
    return this.members?.length === 0 ? this.fencedWith : undefined;
  }
}
