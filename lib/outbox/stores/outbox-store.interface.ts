/** Where a row is in its life. */
export type OutboxStatus = 'PENDING' | 'PROCESSING' | 'PUBLISHED' | 'FAILED' | 'DEAD';

/** What is stored for one event: the serialized record, exactly as it will be sent. */
export interface OutboxRecord {
  /** The event id (UUIDv7), also its x-event-id header. */
  readonly id: string;
  readonly topic: string;
  readonly key: Buffer | null;
  /** Explicit partition, if the caller gave one. */
  readonly partition: number | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
  /** ms since epoch (CreateTime). */
  readonly timestamp: number;
}

/** A stored row. */
export interface OutboxRow extends OutboxRecord {
  /** Insertion order. */
  readonly seq: number;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lockedUntil: Date | null;
  readonly lockedBy: string | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly publishedAt: Date | null;
  readonly kafkaPartition: number | null;
  readonly kafkaOffset: string | null;
}

/** Options of `claim`. */
export interface ClaimOptions {
  readonly owner: string;
  readonly limit: number;
  readonly leaseMs: number;
}

/** What the relay reports. */
export interface OutboxStats {
  /** Unfinished rows (PENDING, PROCESSING, FAILED). */
  readonly backlog: number;
  /** Age of the oldest unfinished row, or null if none. */
  readonly oldestAgeMs: number | null;
  readonly dead: number;
}

/** Storage of the outbox: PostgreSQL, SQLite or memory. */
export interface OutboxStore {
  /** Creates tables and indexes if missing (idempotent). */
  init(): Promise<void>;
  /** Inserts PENDING rows in the given order, in the caller's transaction if given. */
  add(records: readonly OutboxRecord[], options?: { transaction?: unknown }): Promise<void>;
  /** Claims, per key, the oldest unfinished row if claimable, with a lease (see the stores). */
  claim(options: ClaimOptions): Promise<OutboxRow[]>;
  /** PUBLISHED, only if still leased by `owner`. */
  markPublished(
    id: string,
    owner: string,
    result: { partition: number; offset: string },
  ): Promise<boolean>;
  /** FAILED with the next attempt time, only if leased by `owner`. */
  markFailed(
    id: string,
    owner: string,
    failure: { error: string; nextAttemptAt: Date },
  ): Promise<boolean>;
  /** DEAD, only if leased by `owner`. */
  markDead(id: string, owner: string, failure: { error: string }): Promise<boolean>;
  /** Whether (topic, key) has unfinished rows. */
  hasUnfinished(topic: string, key: Buffer | null): Promise<boolean>;
  /** All (topic, key) pairs with unfinished rows. */
  unfinishedKeys(): Promise<Array<{ topic: string; key: Buffer }>>;
  stats(): Promise<OutboxStats>;
  /** Deletes PUBLISHED rows published before `before`; returns how many. */
  deletePublished(before: Date): Promise<number>;
  get(id: string): Promise<OutboxRow | undefined>;
  close(): Promise<void>;
  /** false for the memory store. */
  readonly durable: boolean;
}
