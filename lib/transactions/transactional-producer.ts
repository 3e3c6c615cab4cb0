import type { Logger } from '@nestjs/common';
import { TransactionAbortedError } from '../errors/transaction-aborted.error.js';
import { TransactionFencedError } from '../errors/transaction-fenced.error.js';
import { Messages } from '../kafka-producer.messages.js';
import type { TransactionalTransport } from '../transport/transport.interface.js';
import { Transaction } from './transaction.js';
import type { TransactionEngine } from './transaction-engine.js';

/** One pooled producer: an engine of its own over a transport of one transactional id. */
export interface TransactionalParts {
  readonly engine: TransactionEngine;
  readonly transport: TransactionalTransport;
}

/**
 * One transactional producer of the pool, running one transaction at a time: begin, the
 * callback and its sends, then once every send is answered EndTxn commit, or abort when the
 * callback threw, a send failed, or the transaction outlived `transactionTimeoutMs`. After a
 * failed transaction it takes a new epoch (InitProducerId), which also aborts anything the
 * broker still holds open and restarts its sequence numbers. Fenced, it is done for good.
 */
export class TransactionalProducer {
  private ready?: Promise<void>;
  private fencedWith?: TransactionFencedError;

  constructor(
    private readonly parts: TransactionalParts,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  get transactionalId(): string {
    return this.parts.transport.transactionalId;
  }

  /** Set once the broker fenced this producer (a newer one has its transactional id). */
  get fenced(): TransactionFencedError | undefined {
    return this.fencedWith;
  }

  /** Starts the engine and takes the transactional id (InitProducerId); once, unless it failed. */
  open(): Promise<void> {
    if (!this.ready) {
      const ready = (async () => {
        await this.parts.engine.start();
        await this.parts.transport.open();
      })();
      this.ready = ready;
      ready.catch((error: unknown) => {
        this.noteFenced(error);
        if (this.ready === ready) this.ready = undefined;
      });
    }
    return this.ready;
  }

  /** Runs `callback` as one transaction (see the class comment); `enter` wraps the callback. */
  async run<T>(
    callback: (tx: Transaction) => Promise<T>,
    enter: (tx: Transaction, call: () => Promise<T>) => Promise<T>,
  ): Promise<T> {
    if (this.fencedWith) throw this.fencedWith;
    await this.open();
    const { transport } = this.parts;
    const started = Date.now();
    transport.begin();
    const tx = new Transaction(this.parts.engine, transport);
    let result: T;
    try {
      result = await enter(tx, () => callback(tx));
    } catch (error) {
      tx.finish();
      await this.abort(tx, error);
      throw error;
    }
    tx.finish();
    let failure = await tx.settled();
    if (!failure && Date.now() - started > this.timeoutMs) {
      failure = { error: new Error(Messages.transactionTimeout(this.timeoutMs)) };
    }
    if (failure) {
      await this.abort(tx, failure.error);
      if (this.noteFenced(failure.error)) throw this.fencedWith!;
      throw new TransactionAbortedError(this.transactionalId, failure.error);
    }
    try {
      await transport.end(true);
    } catch (error) {
      if (this.noteFenced(error)) throw this.fencedWith!;
      await this.renew();
      throw new TransactionAbortedError(this.transactionalId, error);
    }
    return result;
  }

  /** Closes the engine (and its transport). */
  close(): Promise<void> {
    return this.parts.engine.close();
  }

  /** Waits for the transaction's sends, then EndTxn abort; a new epoch when that fails too. */
  private async abort(tx: Transaction, why: unknown): Promise<void> {
    const failure = await tx.settled();
    if (this.noteFenced(why) || this.noteFenced(failure?.error)) return;
    let ended = true;
    try {
      await this.parts.transport.end(false);
    } catch (error) {
      if (this.noteFenced(error)) return;
      ended = false;
      this.logger.warn(
        `abort of ${this.transactionalId} failed (${String(error)}): taking a new epoch`,
      );
    }
    // A send that failed may leave the sequence numbers unknown, and a failed EndTxn the
    // transaction open: a new epoch starts the numbers again and aborts what is open.
    if (failure || !ended) await this.renew();
  }

  /** InitProducerId again (a new epoch); a failure is logged, and the next open() tries again. */
  private async renew(): Promise<void> {
    try {
      await this.parts.transport.init();
    } catch (error) {
      if (this.noteFenced(error)) return;
      this.logger.warn(`cannot take a new epoch for ${this.transactionalId}: ${String(error)}`);
      this.ready = undefined;
    }
  }

  private noteFenced(error: unknown): boolean {
    if (error instanceof TransactionFencedError) {
      this.fencedWith ??= error;
      return true;
    }
    return false;
  }
}
