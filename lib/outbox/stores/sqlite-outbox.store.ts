import type BetterSqlite3 from 'better-sqlite3';
import {
  assertClaimOptions,
  assertOutboxRecords,
  decodeHeaders,
  encodeHeaders,
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
import { sqliteOutboxSql, type SqliteOutboxSql } from './sqlite-outbox.sql.js';

/**
 * The parts of a better-sqlite3 `Database` the store uses (a better-sqlite3 v12 `Database`
 * fits; typed structurally so that users of other stores need not install its types).
 */
export interface SqliteDatabaseLike {
  readonly memory: boolean;
  readonly inTransaction: boolean;
  prepare(source: string): unknown;
  exec(source: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction(fn: (...args: any[]) => any): unknown;
  close(): unknown;
}

/** Options of {@link SqliteOutboxStore}. Give `filename` or `database`. */
export interface SqliteOutboxStoreOptions {
  /**
   * The database file, opened (and created if missing) by `init()` with better-sqlite3 and
   * closed by `close()`. `':memory:'` works but is not durable.
   */
  filename?: string;
  /**
   * An open better-sqlite3 Database to use instead (the store does not close it). Its
   * journal mode is set to WAL unless it is an in-memory database.
   */
  database?: SqliteDatabaseLike;
  /** Table name. Default `'kafka_outbox'`. */
  table?: string;
  /** Create the table and indexes in `init()` if missing. Default `true`. */
  createTable?: boolean;
  /**
   * SQLite `synchronous` pragma for a database the store opens: `'FULL'` syncs the WAL on
   * every commit (an added row survives a power cut), `'NORMAL'` only at checkpoints (it
   * survives a process crash). Default `'FULL'`.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for another connection's write lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
}

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement<any[], any>;

interface SqliteRow {
  seq: number;
  id: string;
  topic: string;
  key: Buffer | null;
  partition: number | null;
  value: Buffer | null;
  headers: string;
  timestamp_ms: number;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  locked_until: number | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: number;
  published_at: number | null;
  kafka_partition: number | null;
  kafka_offset: string | null;
}

interface Statements {
  readonly insert: Statement;
  readonly selectById: Statement;
  readonly claimable: Statement;
  readonly lease: Statement;
  readonly finish: Statement;
  readonly hasUnfinished: Statement;
  readonly unfinishedKeys: Statement;
  readonly stats: Statement;
  readonly deletePublished: Statement;
}

function toRow(row: SqliteRow): OutboxRow {
  return {
    id: row.id,
    topic: row.topic,
    key: row.key,
    partition: row.partition,
    value: row.value,
    headers: decodeHeaders(JSON.parse(row.headers) as Record<string, string>),
    timestamp: row.timestamp_ms,
    seq: row.seq,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: new Date(row.next_attempt_at),
    lockedUntil: row.locked_until === null ? null : new Date(row.locked_until),
    lockedBy: row.locked_by,
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
    publishedAt: row.published_at === null ? null : new Date(row.published_at),
    kafkaPartition: row.kafka_partition,
    kafkaOffset: row.kafka_offset,
  };
}

function isDatabase(value: unknown): value is SqliteDatabaseLike {
  const db = value as SqliteDatabaseLike | null;
  return (
    typeof db === 'object' &&
    db !== null &&
    typeof db.prepare === 'function' &&
    typeof db.transaction === 'function' &&
    typeof db.inTransaction === 'boolean'
  );
}

/**
 * The embedded outbox: one SQLite file (better-sqlite3 v12, WAL mode) that survives
 * restarts. SQLite has a single writer, so a claim is one `BEGIN IMMEDIATE` transaction;
 * several processes may share the file (each waits up to `busyTimeoutMs` for the lock).
 * Times are this machine's clock.
 *
 * better-sqlite3 is loaded by `init()` (or given as `database`), so apps that use another
 * store need not install it. Every method other than `add()` with a transaction runs
 * `init()` first if it has not run yet.
 *
 * Transactional `add()`: pass the better-sqlite3 `Database` whose transaction is open, as
 * `transaction`, either inside a `db.transaction(fn)` function (call `add()` synchronously
 * there: it inserts before it returns and throws on failure, which rolls `fn` back) or
 * between `db.exec('BEGIN')` and `db.exec('COMMIT')`. That connection may be the store's own
 * or another one on the same file (better: the relay's claims then do not join it).
 */
export class SqliteOutboxStore implements OutboxStore {
  /** Whether rows survive a restart: false for an in-memory database. */
  readonly durable: boolean;

  private readonly options: SqliteOutboxStoreOptions;
  private readonly sql: SqliteOutboxSql;
  private readonly statements = new WeakMap<object, Statements>();
  private db?: Database;
  private initializing?: Promise<void>;
  private closed = false;

  /**
   * @param options The file or database, table name, etc.; or an open better-sqlite3
   *   Database (same as `{ database }`).
   */
  constructor(options: SqliteOutboxStoreOptions | SqliteDatabaseLike) {
    this.options = isDatabase(options) ? { database: options } : { ...options };
    const { filename, database } = this.options;
    if (!database && (typeof filename !== 'string' || filename.length === 0)) {
      throw new TypeError(OutboxStoreMessages.sqliteNeedsDatabase);
    }
    this.sql = sqliteOutboxSql(this.options.table ?? 'kafka_outbox');
    this.durable = database ? !database.memory : filename !== ':memory:';
  }

  /**
   * Opens the file (loading better-sqlite3), sets WAL mode, and creates the table and
   * indexes if missing. Idempotent.
   */
  init(): Promise<void> {
    this.initializing ??= this.open().catch((error: unknown) => {
      this.initializing = undefined;
      throw error;
    });
    return this.initializing;
  }

  /** See {@link OutboxStore.add} and the class comment for `transaction`. */
  add(records: readonly OutboxRecord[], options: OutboxAddOptions = {}): Promise<void> {
    const { transaction } = options;
    if (transaction === undefined || transaction === null) {
      return this.ready().then((db) => {
        assertOutboxRecords(records);
        this.insert(db, records);
      });
    }
    // Synchronous on purpose: better-sqlite3 transactions are synchronous functions.
    if (!isDatabase(transaction) || !transaction.inTransaction) {
      throw new TypeError(OutboxStoreMessages.sqliteBadTransaction);
    }
    if (!this.db) {
      if (!this.options.database) throw new Error(OutboxStoreMessages.sqliteNotInitialized);
      this.setUp(this.options.database as Database);
    }
    assertOutboxRecords(records);
    this.insert(transaction as Database, records);
    return Promise.resolve();
  }

  /** See {@link OutboxStore.claim}: one IMMEDIATE transaction. */
  async claim(options: ClaimOptions): Promise<OutboxRow[]> {
    assertClaimOptions(options);
    const db = await this.ready();
    if (options.limit === 0) return [];
    const s = this.statementsOf(db);
    const claim = db.transaction(() => {
      const now = Date.now();
      const ids = (s.claimable.all({ now, limit: options.limit }) as Array<{ id: string }>).map(
        (r) => r.id,
      );
      const until = now + options.leaseMs;
      return ids.map((id) => {
        s.lease.run({ id, owner: options.owner, until });
        return toRow(s.selectById.get(id) as SqliteRow);
      });
    });
    return claim.immediate();
  }

  /** See {@link OutboxStore.markPublished}. */
  markPublished(
    id: string,
    owner: string,
    result: { partition: number; offset: string },
  ): Promise<boolean> {
    return this.finish(id, owner, {
      status: 'PUBLISHED',
      publishedAt: Date.now(),
      kafkaPartition: result.partition,
      kafkaOffset: String(result.offset),
    });
  }

  /** See {@link OutboxStore.markFailed}. */
  markFailed(
    id: string,
    owner: string,
    failure: { error: string; nextAttemptAt: Date },
  ): Promise<boolean> {
    return this.finish(id, owner, {
      status: 'FAILED',
      error: failure.error,
      nextAttemptAt: failure.nextAttemptAt.getTime(),
    });
  }

  /** See {@link OutboxStore.markDead}. */
  markDead(id: string, owner: string, failure: { error: string }): Promise<boolean> {
    return this.finish(id, owner, { status: 'DEAD', error: failure.error });
  }

  /** See {@link OutboxStore.hasUnfinished}. */
  async hasUnfinished(topic: string, key: Buffer | null): Promise<boolean> {
    const db = await this.ready();
    if (key === null) return false;
    const row = this.statementsOf(db).hasUnfinished.get(topic, key) as { found: number };
    return row.found === 1;
  }

  /** See {@link OutboxStore.unfinishedKeys}. */
  async unfinishedKeys(): Promise<Array<{ topic: string; key: Buffer }>> {
    const db = await this.ready();
    return this.statementsOf(db).unfinishedKeys.all() as Array<{ topic: string; key: Buffer }>;
  }

  /** See {@link OutboxStore.stats}. */
  async stats(): Promise<OutboxStats> {
    const db = await this.ready();
    const row = this.statementsOf(db).stats.get() as {
      backlog: number;
      oldest: number | null;
      dead: number;
    };
    return {
      backlog: row.backlog,
      oldestAgeMs: row.oldest === null ? null : Math.max(0, Date.now() - row.oldest),
      dead: row.dead,
    };
  }

  /** See {@link OutboxStore.deletePublished}. */
  async deletePublished(before: Date): Promise<number> {
    const db = await this.ready();
    return this.statementsOf(db).deletePublished.run(before.getTime()).changes;
  }

  /** See {@link OutboxStore.get}. */
  async get(id: string): Promise<OutboxRow | undefined> {
    const db = await this.ready();
    if (!isUuid(id)) return undefined;
    const row = this.statementsOf(db).selectById.get(normalizeId(id)) as SqliteRow | undefined;
    return row && toRow(row);
  }

  /** Closes the database if the store opened it (a given `database` stays open). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.initializing?.catch(() => undefined);
    if (this.db && !this.options.database) this.db.close();
    this.db = undefined;
  }

  private async open(): Promise<void> {
    if (this.closed) throw new Error(OutboxStoreMessages.closed('SqliteOutboxStore'));
    if (this.options.database) {
      this.setUp(this.options.database as Database);
      return;
    }
    let DatabaseClass: typeof BetterSqlite3;
    try {
      const loaded = (await import('better-sqlite3')) as { default?: typeof BetterSqlite3 };
      DatabaseClass = loaded.default ?? (loaded as unknown as typeof BetterSqlite3);
    } catch (error) {
      throw new Error(OutboxStoreMessages.sqliteMissing(String(error)), { cause: error });
    }
    const db = new DatabaseClass(this.options.filename);
    try {
      db.pragma(`synchronous = ${this.options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
      this.setUp(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Synchronous part of init: pragmas, DDL, statements. */
  private setUp(db: Database): void {
    if (this.db) return;
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(this.options.busyTimeoutMs ?? 5000))}`);
    if (!db.memory) db.pragma('journal_mode = WAL');
    if (this.options.createTable ?? true) db.exec(this.sql.createTable);
    this.statementsOf(db);
    this.db = db;
  }

  private async ready(): Promise<Database> {
    if (this.closed) throw new Error(OutboxStoreMessages.closed('SqliteOutboxStore'));
    await this.init();
    if (!this.db) throw new Error(OutboxStoreMessages.closed('SqliteOutboxStore'));
    return this.db;
  }

  private statementsOf(db: Database): Statements {
    let statements = this.statements.get(db);
    if (!statements) {
      const { sql } = this;
      statements = {
        insert: db.prepare(sql.insert),
        selectById: db.prepare(sql.selectById),
        claimable: db.prepare(sql.claimable),
        lease: db.prepare(sql.lease),
        finish: db.prepare(sql.finish),
        hasUnfinished: db.prepare(sql.hasUnfinished),
        unfinishedKeys: db.prepare(sql.unfinishedKeys),
        stats: db.prepare(sql.stats),
        deletePublished: db.prepare(sql.deletePublished),
      };
      this.statements.set(db, statements);
    }
    return statements;
  }

  /** All or none: a savepoint when the caller's transaction is open. */
  private insert(db: Database, records: readonly OutboxRecord[]): void {
    if (records.length === 0) return;
    const { insert } = this.statementsOf(db);
    const insertAll = db.transaction(() => {
      const now = Date.now();
      for (const record of records) {
        try {
          insert.run({
            id: normalizeId(record.id),
            topic: record.topic,
            key: record.key,
            partition: record.partition,
            value: record.value,
            headers: JSON.stringify(encodeHeaders(record.headers)),
            timestamp: record.timestamp,
            now,
          });
        } catch (error) {
          if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
            throw new Error(OutboxStoreMessages.duplicateId(normalizeId(record.id)), {
              cause: error,
            });
          }
          throw error;
        }
      }
    });
    insertAll();
  }

  private async finish(
    id: string,
    owner: string,
    change: {
      status: OutboxStatus;
      publishedAt?: number;
      kafkaPartition?: number;
      kafkaOffset?: string;
      error?: string;
      nextAttemptAt?: number;
    },
  ): Promise<boolean> {
    const db = await this.ready();
    if (!isUuid(id)) return false;
    const result = this.statementsOf(db).finish.run({
      publishedAt: null,
      kafkaPartition: null,
      kafkaOffset: null,
      error: null,
      nextAttemptAt: null,
      ...change,
      id: normalizeId(id),
      owner,
    });
    return result.changes === 1;
  }
}
