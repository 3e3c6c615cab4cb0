/**
 * Where a row is in its life. PENDING, PROCESSING and FAILED are "unfinished" (the row still
 * has to be published, and holds back the later rows of its key); PUBLISHED and DEAD are
 * final.
 */
export type OutboxStatus = 'PENDING' | 'PROCESSING' | 'PUBLISHED' | 'FAILED' | 'DEAD';

/** What is stored for one event: the serialized record, exactly as it will be sent. */
export interface OutboxRecord {
  /** The event id (a UUID, UUIDv7 from the module), also its `x-event-id` header. */
  readonly id: string;
  /** The topic the record goes to. */
  readonly topic: string;
  /** The serialized key; `null` for a keyless record. */
  readonly key: Buffer | null;
  /** Explicit partition, if the caller gave one; `null` lets the partitioner choose. */
  readonly partition: number | null;
  /** The serialized value; `null` for a tombstone. */
  readonly value: Buffer | null;
  /** Record headers, as bytes. */
  readonly headers: Record<string, Buffer>;
  /** Ms since epoch (the record's CreateTime). */
  readonly timestamp: number;
}

/** A stored record with its delivery state. */
export interface OutboxRow extends OutboxRecord {
  /** Insertion order (bigserial in PostgreSQL; a safe integer). Never reused. */
  readonly seq: number;
  /** Where the row is in its life. */
  readonly status: OutboxStatus;
  /** How many times the row was claimed (each claim is one attempt to publish it). */
  readonly attempts: number;
  /** A PENDING or FAILED row is not claimed before this time. */
  readonly nextAttemptAt: Date;
  /** End of the current lease (PROCESSING rows); `null` when not leased. */
  readonly lockedUntil: Date | null;
  /** Owner of the current lease (PROCESSING rows); `null` when not leased. */
  readonly lockedBy: string | null;
  /** The error of the last failed attempt, kept after a later success. */
  readonly lastError: string | null;
  /** When the row was added. */
  readonly createdAt: Date;
  /** When the row was marked PUBLISHED. */
  readonly publishedAt: Date | null;
  /** The partition Kafka wrote the record to (PUBLISHED rows). */
  readonly kafkaPartition: number | null;
  /** The offset Kafka gave the record (PUBLISHED rows), as a decimal string. */
  readonly kafkaOffset: string | null;
}

/** Arguments of {@link OutboxStore.claim}. */
export interface ClaimOptions {
  /** Who takes the lease: unique per relay instance (e.g. `host:pid:random`). */
  readonly owner: string;
  /** At most this many rows (at most one per key). An integer >= 0. */
  readonly limit: number;
  /** Lease length in ms: past it another relay may take the row over. An integer > 0. */
  readonly leaseMs: number;
}

/** Health numbers of an outbox. */
export interface OutboxStats {
  /** Unfinished rows (PENDING, PROCESSING, FAILED). */
  readonly backlog: number;
  /** Age in ms of the oldest unfinished row (by `createdAt`); `null` when there is none. */
  readonly oldestAgeMs: number | null;
  /** DEAD rows (kept until deleted by hand). */
  readonly dead: number;
}

/** Options of {@link OutboxStore.add}. */
export interface OutboxAddOptions {
  /**
   * The caller's own open transaction, so that the rows commit or roll back with the
   * caller's business rows. What a store accepts:
   * - `PostgresOutboxStore`: a connected `pg` `PoolClient` or `Client` inside `BEGIN`
   *   (anything with pg's `query(text, values)`); the store neither begins nor commits it.
   * - `SqliteOutboxStore`: the better-sqlite3 `Database` whose `db.transaction(...)` function
   *   is running; `add()` must be called synchronously inside that function, does its
   *   insert before it returns, and throws (synchronously) on failure so that better-sqlite3
   *   rolls the whole transaction back.
   * - `MemoryOutboxStore`: ignored.
   *
   * Without it (the default), the store uses its own connection and transaction.
   */
  readonly transaction?: unknown;
}

/**
 * Durable storage of the outbox: records waiting to be published, claimed by relays with a
 * lease, one row per key at a time, in insertion order.
 *
 * Keys: a row's key is (topic, key bytes); a keyless row (key `null`) is its own key. An empty
 * key (zero bytes) is a key like any other, not keyless.
 */
export interface OutboxStore {
  /** Creates tables and indexes if missing (idempotent). */
  init(): Promise<void>;
  /**
   * Inserts PENDING rows in the given order (all or none). `transaction`: the caller's own
   * transaction handle (see {@link OutboxAddOptions.transaction} for what each store
   * accepts). Without it, the store's own connection/transaction.
   */
  add(records: readonly OutboxRecord[], options?: OutboxAddOptions): Promise<void>;
  /**
   * Claims up to `limit` rows, each the OLDEST unfinished row (by seq) of its key that is
   * claimable: status PENDING or FAILED with nextAttemptAt <= now, or PROCESSING whose lease
   * expired (lockedUntil < now). A key whose oldest unfinished row is not claimable (leased
   * by someone, or waiting for its next attempt) yields nothing, so a key's rows are
   * published strictly one after another. Claimed rows become PROCESSING with
   * lockedBy = owner, lockedUntil = now + leaseMs, attempts + 1. Returned in seq order.
   *
   * If a key has a PROCESSING row that is not its oldest unfinished one (possible only when
   * concurrent transactions commit rows of one key out of seq order), that row is the key's
   * current row instead, so a key never has two rows in flight.
   */
  claim(options: ClaimOptions): Promise<OutboxRow[]>;
  /**
   * PUBLISHED with partition/offset and publishedAt = now, lease cleared, only if the row is
   * still PROCESSING under `owner`'s lease (returns false otherwise: the lease was lost). A
   * lease that expired but that nobody took over still counts as `owner`'s.
   */
  markPublished(
    id: string,
    owner: string,
    result: { partition: number; offset: string },
  ): Promise<boolean>;
  /** FAILED with lastError and nextAttemptAt, lease cleared, only if leased by owner. */
  markFailed(
    id: string,
    owner: string,
    failure: { error: string; nextAttemptAt: Date },
  ): Promise<boolean>;
  /** DEAD with lastError, lease cleared, only if leased by owner. */
  markDead(id: string, owner: string, failure: { error: string }): Promise<boolean>;
  /** Whether (topic, key) has unfinished rows. key null → false (keyless rows never hold back others). */
  hasUnfinished(topic: string, key: Buffer | null): Promise<boolean>;
  /** All (topic, key) pairs with unfinished rows (for a process restarting in fallback mode). */
  unfinishedKeys(): Promise<Array<{ topic: string; key: Buffer }>>;
  /** backlog = unfinished rows; oldestAgeMs = age of the oldest unfinished row (null if none); dead = DEAD rows. */
  stats(): Promise<OutboxStats>;
  /** Deletes PUBLISHED rows published before `before`; returns how many. */
  deletePublished(before: Date): Promise<number>;
  /** One row by id (tests, diagnostics); `undefined` if there is none. */
  get(id: string): Promise<OutboxRow | undefined>;
  /** Releases what the store opened itself (pool, database file); idempotent. */
  close(): Promise<void>;
  /** false for the memory store (documented as not durable). */
  readonly durable: boolean;
}
