import type { OutboxSource } from './outbox-plugin.js';

/** Options of `OutboxService.enqueue`. */
export interface EnqueueOptions {
  /**
   * The caller's own open transaction, so that the events commit or roll back with the
   * business rows: a `pg` client inside BEGIN (PostgreSQL store), a better-sqlite3
   * Database inside `db.transaction()` (SQLite store). Without it, the store's own.
   */
  transaction?: unknown;
}

/**
 * Transactional mode: writes events to the outbox (in the caller's database transaction)
 * instead of sending them; the relay publishes them after the commit. Inject it as
 * `OutboxService` for the default producer, `@InjectOutbox(name)` for a named one.
 */
export class OutboxService {
  constructor(private readonly producer: OutboxSource) {}

  /**
   * Validates, keys and serializes the events (errors as with `send()`), stores them in
   * order, and returns their event ids (their `x-event-id` headers when published).
   */
  async enqueue(
    events: object | readonly object[],
    options: EnqueueOptions = {},
  ): Promise<string[]> {
    const list: readonly object[] = Array.isArray(events) ? events : [events];
    const { store, records, wake } = await this.producer.recordsForOutbox(list);
    await store.add(records, { transaction: options.transaction });
    wake();
    return records.map((r) => r.id);
  }

  /** Backlog, oldest waiting row's age in ms, and dead rows. */
  async stats() {
    return this.producer.outboxStats();
  }
}
