import type { Logger } from '@nestjs/common';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { toOutboxRecord } from './outbox-record.mapper.js';
import type { OutboxRow, OutboxStore } from './stores/outbox-store.interface.js';

/** One string per topic and key (latin1 maps each byte to one character, so it is exact). */
function keySlot(topic: string, key: Buffer): string {
  return `${topic}\0${key.toString('latin1')}`;
}

const settled = (): void => undefined;

/** A key's records that are accepted and not settled yet (acked, stored or failed). */
interface KeyLine {
  /** Settles once the key's latest record, in send order, has settled. */
  tail: Promise<void>;
  /** Records of the key not settled yet. */
  open: number;
}

/** A key that goes through the outbox: rows waiting, or being written. */
interface Deferring {
  /** Bumped on every deferral of the key (see {@link OutboxFallback.finished}). */
  version: number;
  /** Deferrals of the key whose row is not written yet. */
  writing: number;
}

/**
 * Fallback mode: a record that fails with a retriable error is stored instead of failing its
 * caller, and each key keeps the order of its `send()` calls whatever mix of direct sends and
 * outbox rows carries it:
 * - every keyed record joins its key's line in send order, and a record's row is written only
 *   once every earlier record of the key has settled (acked, stored, or failed), so rows of a
 *   key are written in send order and the relay, which takes each key's oldest row first,
 *   publishes them so;
 * - from the first deferral of a key until the relay has published all its rows, the key's new
 *   records go to the outbox (behind its earlier ones) instead of to Kafka, so no later record
 *   reaches Kafka before an earlier one that waits in the outbox;
 * - when a record fails, the batches still queued for its partition fail with it (the
 *   accumulator's `failQueued`), so they are stored at once, in order, instead of waiting
 *   for the failed request to give up.
 */
export class OutboxFallback {
  private readonly lines = new Map<string, KeyLine>();
  private readonly deferring = new Map<string, Deferring>();
  private version = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: OutboxStore,
    private readonly logger: Logger,
    /** Told of every row written (wakes the relay). */
    private readonly stored: () => void,
    private readonly report: (record: OutgoingRecord) => DeliveryReport,
    /** Fails the batches queued for a partition (the accumulator's failQueued). */
    private readonly failQueued: (topic: string, partition: number, error: Error) => void = () =>
      undefined,
  ) {}

  /** Picks up the keys that still have rows from an earlier run. */
  async init(): Promise<void> {
    for (const { topic, key } of await this.store.unfinishedKeys()) {
      this.deferring.set(keySlot(topic, key), { version: ++this.version, writing: 0 });
    }
  }

  /** Whether a failure is one to store the record for. */
  takes(error: unknown): boolean {
    return (error as { retriable?: boolean } | null)?.retriable === true;
  }

  /**
   * Sends `record` with `direct` (the accumulator, to `partition`), or stores it: at once
   * when its key is deferring, or when `direct` fails with a retriable error (then the
   * batches queued behind it for the partition fail too, and are stored in order). Call it
   * in send order.
   */
  route(
    record: OutgoingRecord,
    partition: number | undefined,
    direct: () => Promise<DeliveryReport>,
  ): Promise<DeliveryReport> {
    const { key, topic } = record;
    const failed = (error: unknown, slot: string | undefined, before?: Promise<void>) => {
      if (!this.takes(error)) throw error;
      if (partition !== undefined) this.failQueued(topic, partition, error as Error);
      return this.defer(record, slot, before);
    };
    if (key === null) return direct().catch((error: unknown) => failed(error, undefined));
    const slot = keySlot(topic, key);
    let line = this.lines.get(slot);
    if (!line) this.lines.set(slot, (line = { tail: Promise.resolve(), open: 0 }));
    const before = line.tail;
    let outcome: Promise<DeliveryReport>;
    if (this.deferring.has(slot)) {
      outcome = this.defer(record, slot, before);
    } else {
      outcome = direct().catch((error: unknown) => failed(error, slot, before));
    }
    line.open++;
    const current = line;
    const done = outcome.then(settled, settled).then(() => {
      if (--current.open === 0 && this.lines.get(slot) === current) this.lines.delete(slot);
    });
    line.tail = done;
    return outcome;
  }

  /**
   * Marks the key as deferring now, and stores the record once `before` (the key's earlier
   * records) has settled; resolves with a deferred report once the row is written.
   */
  private defer(
    record: OutgoingRecord,
    slot: string | undefined,
    before: Promise<void> | undefined,
  ): Promise<DeliveryReport> {
    let state: Deferring | undefined;
    if (slot !== undefined) {
      state = this.deferring.get(slot);
      if (!state) this.deferring.set(slot, (state = { version: 0, writing: 0 }));
      state.version = ++this.version;
      state.writing++;
    }
    const write = (before ?? Promise.resolve()).then(() => {
      const added = this.queue.then(() => this.store.add([toOutboxRecord(record)]));
      this.queue = added.catch(settled);
      return added;
    });
    return write.then(
      () => {
        if (state) state.writing--;
        this.stored();
        return { ...this.report(record), deferred: true };
      },
      (error: unknown) => {
        if (state) state.writing--;
        throw error;
      },
    );
  }

  /** The relay finished a row: its key goes direct again once it has nothing waiting. */
  finished(row: OutboxRow): void {
    if (!row.key) return;
    const slot = keySlot(row.topic, row.key);
    const state = this.deferring.get(slot);
    if (state === undefined || state.writing > 0) return;
    const version = state.version;
    this.store.hasUnfinished(row.topic, row.key).then(
      (unfinished) => {
        // A deferral since the check started means a new row: keep deferring the key.
        const now = this.deferring.get(slot);
        if (!unfinished && now === state && now.version === version && now.writing === 0) {
          this.deferring.delete(slot);
        }
      },
      (error: unknown) => this.logger.warn(`outbox: ${String(error)}`),
    );
  }
}
