import {
  assertClaimOptions,
  assertOutboxRecords,
  copyBytes,
  copyHeaders,
  isUnfinished,
  isUuid,
  normalizeId,
} from './outbox-record.js';
import type {
  ClaimOptions,
  OutboxAddOptions,
  OutboxRecord,
  OutboxRow,
  OutboxStats,
  OutboxStatus,
  OutboxStore,
} from './outbox-store.interface.js';
import { OutboxStoreMessages } from './outbox-store.messages.js';

/** Options of {@link MemoryOutboxStore}. */
export interface MemoryOutboxStoreOptions {
  /** The clock, in ms since epoch (tests may move it). Default `Date.now`. */
  now?: () => number;
}

type MutableRow = { -readonly [K in keyof OutboxRow]: OutboxRow[K] };

/** A rejected promise, as an async method would return for a thrown error. */
function rejected(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

/** The key a row is ordered under: (topic, key bytes); keyless rows have none. */
function slotOf(topic: string, key: Buffer | null): string | undefined {
  return key === null ? undefined : `${topic.length}:${topic}:${key.toString('base64')}`;
}

/**
 * An outbox in this process's memory, with the same semantics as the durable stores: for
 * tests, and for apps that accept losing what waits in the outbox when the process ends.
 * Not durable (`durable` is false): everything is gone when the process exits.
 */
export class MemoryOutboxStore implements OutboxStore {
  /** Always false: rows live in this process's memory only. */
  readonly durable = false;

  private readonly rows = new Map<string, MutableRow>();
  private readonly now: () => number;
  private nextSeq = 1;

  constructor(options: MemoryOutboxStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** Nothing to create. */
  init(): Promise<void> {
    return Promise.resolve();
  }

  /** Adds PENDING rows in order, all or none. `options.transaction` is ignored. */
  add(records: readonly OutboxRecord[], _options?: OutboxAddOptions): Promise<void> {
    try {
      assertOutboxRecords(records);
      for (const record of records) {
        if (this.rows.has(normalizeId(record.id))) {
          throw new Error(OutboxStoreMessages.duplicateId(normalizeId(record.id)));
        }
      }
    } catch (error) {
      return rejected(error);
    }
    const now = new Date(this.now());
    for (const record of records) {
      const id = normalizeId(record.id);
      this.rows.set(id, {
        id,
        topic: record.topic,
        key: copyBytes(record.key),
        partition: record.partition,
        value: copyBytes(record.value),
        headers: copyHeaders(record.headers),
        timestamp: record.timestamp,
        seq: this.nextSeq++,
        status: 'PENDING',
        attempts: 0,
        nextAttemptAt: now,
        lockedUntil: null,
        lockedBy: null,
        lastError: null,
        createdAt: now,
        publishedAt: null,
        kafkaPartition: null,
        kafkaOffset: null,
      });
    }
    return Promise.resolve();
  }

  /** See {@link OutboxStore.claim}. */
  claim(options: ClaimOptions): Promise<OutboxRow[]> {
    try {
      assertClaimOptions(options);
    } catch (error) {
      return rejected(error);
    }
    const now = this.now();
    // Map iteration is insertion order, which is seq order.
    const current = new Map<string, MutableRow>();
    for (const row of this.rows.values()) {
      const slot = slotOf(row.topic, row.key);
      if (slot === undefined || !isUnfinished(row.status)) continue;
      const seen = current.get(slot);
      if (!seen || (seen.status !== 'PROCESSING' && row.status === 'PROCESSING')) {
        current.set(slot, row);
      }
    }
    const claimed: OutboxRow[] = [];
    for (const row of this.rows.values()) {
      if (claimed.length >= options.limit) break;
      if (!isUnfinished(row.status)) continue;
      const slot = slotOf(row.topic, row.key);
      if (slot !== undefined && current.get(slot) !== row) continue;
      if (!this.claimable(row, now)) continue;
      row.status = 'PROCESSING';
      row.lockedBy = options.owner;
      row.lockedUntil = new Date(now + options.leaseMs);
      row.attempts += 1;
      claimed.push(this.copy(row));
    }
    return Promise.resolve(claimed);
  }

  /** See {@link OutboxStore.markPublished}. */
  markPublished(
    id: string,
    owner: string,
    result: { partition: number; offset: string },
  ): Promise<boolean> {
    return this.finish(id, owner, 'PUBLISHED', (row) => {
      row.publishedAt = new Date(this.now());
      row.kafkaPartition = result.partition;
      row.kafkaOffset = result.offset;
    });
  }

  /** See {@link OutboxStore.markFailed}. */
  markFailed(
    id: string,
    owner: string,
    failure: { error: string; nextAttemptAt: Date },
  ): Promise<boolean> {
    return this.finish(id, owner, 'FAILED', (row) => {
      row.lastError = failure.error;
      row.nextAttemptAt = new Date(failure.nextAttemptAt.getTime());
    });
  }

  /** See {@link OutboxStore.markDead}. */
  markDead(id: string, owner: string, failure: { error: string }): Promise<boolean> {
    return this.finish(id, owner, 'DEAD', (row) => {
      row.lastError = failure.error;
    });
  }

  /** See {@link OutboxStore.hasUnfinished}. */
  hasUnfinished(topic: string, key: Buffer | null): Promise<boolean> {
    const slot = slotOf(topic, key);
    if (slot === undefined) return Promise.resolve(false);
    for (const row of this.rows.values()) {
      if (isUnfinished(row.status) && slotOf(row.topic, row.key) === slot) {
        return Promise.resolve(true);
      }
    }
    return Promise.resolve(false);
  }

  /** See {@link OutboxStore.unfinishedKeys}. */
  unfinishedKeys(): Promise<Array<{ topic: string; key: Buffer }>> {
    const keys = new Map<string, { topic: string; key: Buffer }>();
    for (const row of this.rows.values()) {
      const slot = slotOf(row.topic, row.key);
      if (slot === undefined || row.key === null || !isUnfinished(row.status)) continue;
      if (!keys.has(slot)) keys.set(slot, { topic: row.topic, key: Buffer.from(row.key) });
    }
    return Promise.resolve([...keys.values()]);
  }

  /** See {@link OutboxStore.stats}. */
  stats(): Promise<OutboxStats> {
    let backlog = 0;
    let dead = 0;
    let oldest: number | null = null;
    for (const row of this.rows.values()) {
      if (row.status === 'DEAD') dead++;
      if (!isUnfinished(row.status)) continue;
      backlog++;
      const created = row.createdAt.getTime();
      if (oldest === null || created < oldest) oldest = created;
    }
    const oldestAgeMs = oldest === null ? null : Math.max(0, this.now() - oldest);
    return Promise.resolve({ backlog, oldestAgeMs, dead });
  }

  /** See {@link OutboxStore.deletePublished}. */
  deletePublished(before: Date): Promise<number> {
    let deleted = 0;
    for (const [id, row] of this.rows) {
      if (row.status === 'PUBLISHED' && row.publishedAt !== null && row.publishedAt < before) {
        this.rows.delete(id);
        deleted++;
      }
    }
    return Promise.resolve(deleted);
  }

  /** See {@link OutboxStore.get}. */
  get(id: string): Promise<OutboxRow | undefined> {
    const row = isUuid(id) ? this.rows.get(normalizeId(id)) : undefined;
    return Promise.resolve(row && this.copy(row));
  }

  /** Nothing to release; the rows stay readable. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private claimable(row: MutableRow, now: number): boolean {
    if (row.status === 'PROCESSING') {
      return row.lockedUntil !== null && row.lockedUntil.getTime() < now;
    }
    return row.nextAttemptAt.getTime() <= now;
  }

  private finish(
    id: string,
    owner: string,
    status: OutboxStatus,
    apply: (row: MutableRow) => void,
  ): Promise<boolean> {
    const row = isUuid(id) ? this.rows.get(normalizeId(id)) : undefined;
    if (!row || row.status !== 'PROCESSING' || row.lockedBy !== owner) {
      return Promise.resolve(false);
    }
    row.status = status;
    row.lockedBy = null;
    row.lockedUntil = null;
    apply(row);
    return Promise.resolve(true);
  }

  private copy(row: MutableRow): OutboxRow {
    return {
      ...row,
      key: copyBytes(row.key),
      value: copyBytes(row.value),
      headers: copyHeaders(row.headers),
      nextAttemptAt: new Date(row.nextAttemptAt.getTime()),
      lockedUntil: row.lockedUntil && new Date(row.lockedUntil.getTime()),
      createdAt: new Date(row.createdAt.getTime()),
      publishedAt: row.publishedAt && new Date(row.publishedAt.getTime()),
    };
  }
}
