import { AsyncLocalStorage } from 'node:async_hooks';
import type { KafkaTransaction } from '../interfaces/transaction.interface.js';

/** What a scope needs of a producer: to run a transaction (its TransactionPool). */
export interface TransactionRunner {
  transaction<T>(callback: (tx: KafkaTransaction) => Promise<T>): Promise<T>;
}

type Outcome = { ok: true } | { ok: false; error: unknown };

/**
 * The transaction of one `@KafkaTransactional()` method call: it begins at the first send
 * of the named producer inside the method (later sends join it) and ends with the method:
 * committed when it resolves, aborted when it throws.
 */
export class TransactionalScope {
  private running?: { tx: Promise<KafkaTransaction>; result: Promise<void> };
  private finish?: (outcome: Outcome) => void;

  constructor(readonly producerName: string) {}

  /** The scope's transaction on `runner`, begun by the first caller. */
  join(runner: TransactionRunner): Promise<KafkaTransaction> {
    if (!this.running) {
      const ended = new Promise<Outcome>((resolve) => (this.finish = resolve));
      let begun!: (tx: KafkaTransaction) => void;
      let refused!: (error: unknown) => void;
      const tx = new Promise<KafkaTransaction>((resolve, reject) => {
        begun = resolve;
        refused = reject;
      });
      const result = runner.transaction(async (t) => {
        begun(t);
        const outcome = await ended;
        if (!outcome.ok) throw outcome.error;
      });
      result.catch(refused); // a transaction that never began (not configured, fenced)
      this.running = { tx, result };
    }
    return this.running.tx;
  }

  /** Ends the scope's transaction (if a send began one) and waits for its commit or abort. */
  async end(outcome: Outcome): Promise<void> {
    if (!this.running) return;
    this.finish?.(outcome);
    await this.running.result;
  }
}

const scopes = new AsyncLocalStorage<ReadonlyMap<string, TransactionalScope>>();

/** The `@KafkaTransactional()` scope of `producerName` the current call runs in, if any. */
export function currentScope(producerName: string): TransactionalScope | undefined {
  return scopes.getStore()?.get(producerName);
}

/**
 * Runs `method` in a transaction of `producerName` (see TransactionalScope); inside an outer
 * scope of the same producer it joins that one, as Spring's `@Transactional` does by default.
 */
export async function runTransactional<T>(
  producerName: string,
  method: () => Promise<T>,
): Promise<T> {
  if (currentScope(producerName)) return method();
  const scope = new TransactionalScope(producerName);
  const outer = scopes.getStore();
  const map = new Map(outer ?? []);
  map.set(producerName, scope);
  let value: T;
  try {
    value = await scopes.run(map, method);
  } catch (error) {
    await scope.end({ ok: false, error }).catch(() => undefined);
    throw error;
  }
  await scope.end({ ok: true });
  return value;
}
