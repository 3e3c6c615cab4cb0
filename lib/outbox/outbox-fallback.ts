import type { Logger } from '@nestjs/common';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { toOutboxRecord } from './outbox-record.mapper.js';
import type { OutboxRow, OutboxStore } from './stores/outbox-store.interface.js';

function slotOf(topic: string, key: Buffer): string {
  return `${topic}\0${key.toString('base64')}`;
}

/**
 * Fallback mode: records that fail with a retriable error are stored instead of failing
 * their callers, and while a key has rows waiting, its new records are stored too (behind
 * them), so each key stays in order. Writes go one at a time, in the order they come.
 */
export class OutboxFallback {
  /** Keys with rows waiting → a version bumped on every deferral (see `finished`). */
  private readonly waiting = new Map<string, number>();
  private version = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: OutboxStore,
    private readonly logger: Logger,
    private readonly stored: () => void,
    private readonly report: (record: OutgoingRecord) => DeliveryReport,
  ) {}

  /** Picks up the keys that still have rows from an earlier run. */
  async init(): Promise<void> {
    for (const { topic, key } of await this.store.unfinishedKeys()) {
      this.waiting.set(slotOf(topic, key), ++this.version);
    }
  }

  /** Whether this record must go behind rows of its key that are waiting. */
  holds(record: OutgoingRecord): boolean {
    return record.key !== null && this.waiting.has(slotOf(record.topic, record.key));
  }

  /** Whether a failure is one to store the record for. */
  takes(error: unknown): boolean {
    return (error as { retriable?: boolean } | null)?.retriable === true;
  }

  /** Stores the record and resolves with a deferred report. */
  defer(record: OutgoingRecord): Promise<DeliveryReport> {
    if (record.key) this.waiting.set(slotOf(record.topic, record.key), ++this.version);
    const write = this.queue.then(() => this.store.add([toOutboxRecord(record)]));
    this.queue = write.catch(() => undefined);
    return write.then(() => {
      this.stored();
      return { ...this.report(record), deferred: true };
    });
  }

  /** The relay finished a row: its key goes direct again once it has nothing waiting. */
  finished(row: OutboxRow): void {
    if (!row.key) return;
    const slot = slotOf(row.topic, row.key);
    const version = this.waiting.get(slot);
    if (version === undefined) return;
    this.store.hasUnfinished(row.topic, row.key).then(
      (unfinished) => {
        // A deferral since the check started means a new row: keep holding the key.
        if (!unfinished && this.waiting.get(slot) === version) this.waiting.delete(slot);
      },
      (error: unknown) => this.logger.warn(`outbox: ${String(error)}`),
    );
  }
}
