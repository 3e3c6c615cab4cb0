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
import {
  postgresOutboxSql,
  postgresOutboxTableSql,
  type PgOutboxSql,
  type PgTableName,
} from './postgres-outbox.sql.js';

/** What the store needs of a query result (a `pg` `QueryResult` fits). */
export interface PgQueryResultLike {
  rows: any[];
  rowCount: number | null;
}

/** Anything with pg's `query(text, values)`: a `pg` `Client` or `PoolClient`. */
export interface PgQueryableLike {
  query(text: string, values?: any[]): Promise<PgQueryResultLike>;
}

/** A client checked out of a pool (a `pg` `PoolClient` fits). */
export interface PgPoolClientLike extends PgQueryableLike {
  release(destroy?: boolean | Error): void;
}

/** The parts of a `pg.Pool` the store uses (typed structurally: no `@types/pg` needed). */
export interface PgPoolLike extends PgQueryableLike {
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
}

/** Options of {@link PostgresOutboxStore}. Give `pool` or `connectionString`. */
export interface PostgresOutboxStoreOptions {
  /** A `pg.Pool` to use; the store does not end it on `close()`. */
  pool?: PgPoolLike;
  /**
   * A connection string (`postgres://user:pass@host:5432/db`): `init()` loads `pg` and opens
   * a pool of `poolSize` connections, which `close()` ends.
   */
  connectionString?: string;
  /** Connections of the pool opened from `connectionString`. Default 10. */
  poolSize?: number;
  /** Called with errors of idle connections of the pool opened from `connectionString`. Default: ignored (the next query fails and says why). */
  onPoolError?: (error: Error) => void;
  /** Table name. Default `'kafka_outbox'`. */
  table?: string;
  /** Schema of the table; it must exist. Default none (the connection's `search_path`). */
  schema?: string;
  /**
   * Create the table and indexes in `init()` if missing (`CREATE ... IF NOT EXISTS`, under
   * an advisory lock so that app instances starting together do not collide). With
   * `false`, `init()` only checks that the table exists: create it with your migrations from
   * {@link PostgresOutboxStore.createTableSql}. Default `true`.
   */
  createTable?: boolean;
}

interface PgRow {
  id: string;
  seq: string | number;
  topic: string;
  key: Buffer | null;
  partition: number | null;
  value: Buffer | null;
  headers: Record<string, string> | null;
  timestamp_ms: string | number;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: Date;
  locked_until: Date | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: Date;
  published_at: Date | null;
  kafka_partition: number | null;
  kafka_offset: string | null;
}

/** Rows per INSERT statement (7 parameters each; PostgreSQL allows 65535 per statement). */
const INSERT_CHUNK = 1000;

function toRow(row: PgRow): OutboxRow {
  return {
    id: row.id,
    topic: row.topic,
    key: row.key,
    partition: row.partition,
    value: row.value,
    headers: decodeHeaders(row.headers),
    timestamp: Number(row.timestamp_ms),
    seq: Number(row.seq),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lockedUntil: row.locked_until,
    lockedBy: row.locked_by,
    lastError: row.last_error,
    createdAt: row.created_at,
    publishedAt: row.published_at,
    kafkaPartition: row.kafka_partition,
    kafkaOffset: row.kafka_offset,
  };
}

function isQueryable(value: unknown): value is PgQueryableLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PgQueryableLike).query === 'function'
  );
}

/**
 * The outbox in PostgreSQL (the `pg` package), for production and for several app
 * instances sharing one outbox. Times come from the database clock.
 *
 * Claims run in one READ COMMITTED transaction: a transaction-level advisory lock on the
 * table (so claims of all relays run one after another, each seeing what the previous one
 * committed), then one statement that picks each key's current row (`DISTINCT ON`), locks
 * the claimable ones `FOR UPDATE SKIP LOCKED` in seq order up to the limit, and leases them
 * (`UPDATE ... RETURNING`). So two relays never claim the same row within a lease, nor two
 * rows of one key at once, even when rows of one key commit out of seq order.
 *
 * `pg` is loaded by `init()` only when the store opens its own pool, so apps that use
 * another store need not install it. Every method other than `add()` with a transaction
 * runs `init()` first if it has not run yet. Needs PostgreSQL 12 or later.
 */
export class PostgresOutboxStore implements OutboxStore {
  /** Always true. */
  readonly durable = true;

  private readonly options: PostgresOutboxStoreOptions;
  private readonly sql: PgOutboxSql;
  private readonly schemaName: string | null;
  private pool?: PgPoolLike;
  private ownsPool = false;
  private initializing?: Promise<void>;
  private closed = false;

  constructor(options: PostgresOutboxStoreOptions) {
    this.options = { ...options };
    if (!options.pool && !options.connectionString) {
      throw new TypeError(OutboxStoreMessages.pgNeedsConnection);
    }
    this.sql = postgresOutboxSql({ table: options.table, schema: options.schema });
    this.schemaName = options.schema ?? null;
    this.pool = options.pool;
  }

  /**
   * The DDL of the outbox table and its indexes (idempotent), for your migrations.
   *
   * @param table Table name, or `{ table, schema }`. Default `'kafka_outbox'`.
   */
  static createTableSql(table: string | PgTableName = 'kafka_outbox'): string {
    return postgresOutboxTableSql(table);
  }

  /** A store, initialized (see {@link PostgresOutboxStore.init}). */
  static async create(options: PostgresOutboxStoreOptions): Promise<PostgresOutboxStore> {
    const store = new PostgresOutboxStore(options);
    await store.init();
    return store;
  }

  /**
   * Opens the pool (loading `pg`) if the store was given a connection string, and creates
   * the table and indexes if missing (or checks the table exists, with `createTable: false`).
   * Idempotent.
   */
  init(): Promise<void> {
    this.initializing ??= this.open().catch((error: unknown) => {
      this.initializing = undefined;
      throw error;
    });
    return this.initializing;
  }

  /** See {@link OutboxStore.add}; `transaction` is a pg client inside BEGIN. */
  async add(records: readonly OutboxRecord[], options: OutboxAddOptions = {}): Promise<void> {
    const { transaction } = options;
    if (transaction !== undefined && transaction !== null && !isQueryable(transaction)) {
      throw new TypeError(OutboxStoreMessages.pgBadTransaction);
    }
    assertOutboxRecords(records);
    if (records.length === 0) return;
    if (transaction) {
      await this.insert(transaction, records);
      return;
    }
    const pool = await this.ready();
    if (records.length <= INSERT_CHUNK) {
      await this.insert(pool, records);
      return;
    }
    await this.inTransaction(pool, (client) => this.insert(client, records));
  }

  /** See {@link OutboxStore.claim} and the class comment. */
  async claim(options: ClaimOptions): Promise<OutboxRow[]> {
    assertClaimOptions(options);
    const pool = await this.ready();
    if (options.limit === 0) return [];
    const rows = await this.inTransaction(pool, async (client) => {
      await client.query(this.sql.lock, [this.lockName()]);
      const result = await client.query(this.sql.claim, [
        options.owner,
        options.leaseMs,
        options.limit,
      ]);
      return result.rows as PgRow[];
    });
    return rows.map(toRow).sort((a, b) => a.seq - b.seq);
  }

  /** See {@link OutboxStore.markPublished}. */
  markPublished(
    id: string,
    owner: string,
    result: { partition: number; offset: string },
  ): Promise<boolean> {
    return this.finish(this.sql.markPublished, id, owner, [
      result.partition,
      String(result.offset),
    ]);
  }

  /** See {@link OutboxStore.markFailed}. */
  markFailed(
    id: string,
    owner: string,
    failure: { error: string; nextAttemptAt: Date },
  ): Promise<boolean> {
    return this.finish(this.sql.markFailed, id, owner, [failure.error, failure.nextAttemptAt]);
  }

  /** See {@link OutboxStore.markDead}. */
  markDead(id: string, owner: string, failure: { error: string }): Promise<boolean> {
    return this.finish(this.sql.markDead, id, owner, [failure.error]);
  }

  /** See {@link OutboxStore.hasUnfinished}. */
  async hasUnfinished(topic: string, key: Buffer | null): Promise<boolean> {
    const pool = await this.ready();
    if (key === null) return false;
    const result = await pool.query(this.sql.hasUnfinished, [topic, key]);
    return (result.rows[0] as { found: boolean }).found;
  }

  /** See {@link OutboxStore.unfinishedKeys}. */
  async unfinishedKeys(): Promise<Array<{ topic: string; key: Buffer }>> {
    const pool = await this.ready();
    const result = await pool.query(this.sql.unfinishedKeys);
    return result.rows as Array<{ topic: string; key: Buffer }>;
  }

  /** See {@link OutboxStore.stats}; ages are measured with the database clock. */
  async stats(): Promise<OutboxStats> {
    const pool = await this.ready();
    const result = await pool.query(this.sql.stats);
    const row = result.rows[0] as {
      backlog: string | number;
      oldest_age_ms: string | number | null;
      dead: string | number;
    };
    return {
      backlog: Number(row.backlog),
      oldestAgeMs:
        row.oldest_age_ms === null ? null : Math.max(0, Math.round(Number(row.oldest_age_ms))),
      dead: Number(row.dead),
    };
  }

  /** See {@link OutboxStore.deletePublished}. */
  async deletePublished(before: Date): Promise<number> {
    const pool = await this.ready();
    const result = await pool.query(this.sql.deletePublished, [before]);
    return result.rowCount ?? 0;
  }

  /** See {@link OutboxStore.get}. */
  async get(id: string): Promise<OutboxRow | undefined> {
    const pool = await this.ready();
    if (!isUuid(id)) return undefined;
    const result = await pool.query(this.sql.selectById, [normalizeId(id)]);
    const row = result.rows[0] as PgRow | undefined;
    return row && toRow(row);
  }

  /** Ends the pool if the store opened it (a given `pool` stays open). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.initializing?.catch(() => undefined);
    const pool = this.pool;
    this.pool = undefined;
    if (pool && this.ownsPool) await pool.end();
  }

  private async open(): Promise<void> {
    if (this.closed) throw new Error(OutboxStoreMessages.closed('PostgresOutboxStore'));
    if (!this.pool) this.pool = await this.createPool();
    const pool = this.pool;
    if (this.options.createTable === false) {
      await pool.query(this.sql.checkTable);
      return;
    }
    const existing = await pool.query(this.sql.checkComplete);
    if ((existing.rows[0] as { complete: boolean }).complete) return;
    await this.inTransaction(pool, async (client) => {
      // Two instances creating the table at once would collide on the catalog.
      await client.query(this.sql.lock, [this.lockName()]);
      await client.query(this.sql.createTable);
    });
  }

  private async createPool(): Promise<PgPoolLike> {
    let Pool: new (config: object) => PgPoolLike & {
      on(event: 'error', listener: (error: Error) => void): unknown;
    };
    try {
      const pg = (await import('pg')) as any;
      Pool = pg.Pool ?? pg.default.Pool;
    } catch (error) {
      throw new Error(OutboxStoreMessages.pgMissing(String(error)), { cause: error });
    }
    const pool = new Pool({
      connectionString: this.options.connectionString,
      max: this.options.poolSize ?? 10,
    });
    // An idle connection's error must not crash the process (pg emits 'error' on the pool).
    pool.on('error', (error) => this.options.onPoolError?.(error));
    this.ownsPool = true;
    return pool;
  }

  private lockName(): string {
    return `${this.schemaName ?? ''}.${this.options.table ?? 'kafka_outbox'}`;
  }

  private async ready(): Promise<PgPoolLike> {
    if (this.closed) throw new Error(OutboxStoreMessages.closed('PostgresOutboxStore'));
    await this.init();
    if (!this.pool) throw new Error(OutboxStoreMessages.closed('PostgresOutboxStore'));
    return this.pool;
  }

  private async inTransaction<T>(
    pool: PgPoolLike,
    work: (client: PgPoolClientLike) => Promise<T>,
  ): Promise<T> {
    const client = await pool.connect();
    let broken: unknown;
    try {
      // Explicitly READ COMMITTED: the claim relies on a fresh snapshot per statement.
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      // A connection that could not roll back is not given back to the pool.
      client.release(broken === undefined ? undefined : true);
    }
  }

  private async insert(db: PgQueryableLike, records: readonly OutboxRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += INSERT_CHUNK) {
      const chunk = records.slice(start, start + INSERT_CHUNK);
      const values: unknown[] = [];
      for (const record of chunk) {
        values.push(
          normalizeId(record.id),
          record.topic,
          record.key,
          record.partition,
          record.value,
          JSON.stringify(encodeHeaders(record.headers)),
          record.timestamp,
        );
      }
      try {
        await db.query(this.sql.insert(chunk.length), values);
      } catch (error) {
        const pgError = error as { code?: string; detail?: string };
        if (pgError.code === '23505') {
          const id = /\(id\)=\(([^)]+)\)/.exec(pgError.detail ?? '')?.[1] ?? 'unknown';
          throw new Error(OutboxStoreMessages.duplicateId(id), { cause: error });
        }
        throw error;
      }
    }
  }

  private async finish(
    sql: string,
    id: string,
    owner: string,
    values: unknown[],
  ): Promise<boolean> {
    const pool = await this.ready();
    if (!isUuid(id)) return false;
    const result = await pool.query(sql, [normalizeId(id), owner, ...values]);
    return result.rowCount === 1;
  }
}
