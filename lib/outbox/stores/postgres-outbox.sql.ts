import { quoteIdentifier } from './sql-identifier.js';

/** `status IN (...)` of unfinished rows: the same text as the partial indexes' predicate. */
export const PG_UNFINISHED = `status IN ('PENDING', 'PROCESSING', 'FAILED')`;

/** First key of the transaction-level advisory lock that serializes claims (ASCII "kotx"). */
export const PG_CLAIM_LOCK_CLASS = 0x6b6f7478;

/** How long a claim transaction may sit idle before the server ends it, in ms. */
export const PG_CLAIM_IDLE_TIMEOUT_MS = 15_000;

/** Where the outbox table lives. */
export interface PgTableName {
  /** Table name. Default `'kafka_outbox'`. */
  readonly table?: string;
  /** Schema; default none (the connection's `search_path`). The schema must exist. */
  readonly schema?: string;
}

/** The SQL the PostgreSQL store runs, for one table. */
export interface PgOutboxSql {
  readonly createTable: string;
  readonly checkTable: string;
  /** One row, `complete`: whether the table and all its indexes exist already. */
  readonly checkComplete: string;
  readonly lock: string;
  readonly claim: string;
  readonly markPublished: string;
  readonly markFailed: string;
  readonly markDead: string;
  readonly hasUnfinished: string;
  readonly unfinishedKeys: string;
  readonly stats: string;
  readonly deletePublished: string;
  readonly selectById: string;
  /** The INSERT for `rows` records (7 parameters per record). */
  insert(rows: number): string;
}

/** Suffixes of the outbox indexes' names (`<table>_<suffix>`). */
const INDEXES = ['unfinished_key_idx', 'unfinished_seq_idx', 'status_next_idx', 'published_idx'];

function names(name: PgTableName): {
  t: string;
  index: (suffix: string) => string;
  qualifiedIndex: (suffix: string) => string;
} {
  const table = name.table ?? 'kafka_outbox';
  const quoted = quoteIdentifier('table', table);
  const schema = name.schema ? `${quoteIdentifier('schema', name.schema)}.` : '';
  // Index names live in the table's schema; PostgreSQL cuts names at 63 bytes.
  const index = (suffix: string) => quoteIdentifier('index', `${table}_${suffix}`.slice(0, 63));
  return {
    t: `${schema}${quoted}`,
    index,
    qualifiedIndex: (suffix) => `${schema}${index(suffix)}`,
  };
}

/**
 * The DDL of the PostgreSQL outbox table and its indexes, idempotent (`IF NOT EXISTS`), for
 * users' own migrations (then construct the store with `createTable: false`). Headers are a
 * jsonb object of base64 strings (jsonb does not keep the order of header names).
 *
 * @param table Table name, or `{ table, schema }`. Default `'kafka_outbox'`, no schema.
 */
export function postgresOutboxTableSql(table: string | PgTableName = 'kafka_outbox'): string {
  const { t, index } = names(typeof table === 'string' ? { table } : table);
  return `
CREATE TABLE IF NOT EXISTS ${t} (
  id uuid PRIMARY KEY,
  seq bigserial NOT NULL,
  topic text NOT NULL,
  key bytea,
  partition integer,
  value bytea,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  timestamp_ms bigint NOT NULL,
  status text NOT NULL DEFAULT 'PENDING'
    CHECK (status IN ('PENDING', 'PROCESSING', 'PUBLISHED', 'FAILED', 'DEAD')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  locked_by text,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  kafka_partition integer,
  kafka_offset text
);
CREATE INDEX IF NOT EXISTS ${index(INDEXES[0])}
  ON ${t} (topic, key, seq) WHERE ${PG_UNFINISHED};
CREATE INDEX IF NOT EXISTS ${index(INDEXES[1])}
  ON ${t} (seq) WHERE ${PG_UNFINISHED};
CREATE INDEX IF NOT EXISTS ${index(INDEXES[2])} ON ${t} (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS ${index(INDEXES[3])}
  ON ${t} (published_at) WHERE status = 'PUBLISHED';
`;
}

/** Builds the statements of {@link PgOutboxSql}. */
export function postgresOutboxSql(name: PgTableName): PgOutboxSql {
  const { t, qualifiedIndex } = names(name);
  const exists = (relation: string) => `to_regclass('${relation}') IS NOT NULL`;
  const due = (r: string, now: string) =>
    `((${r}.status IN ('PENDING', 'FAILED') AND ${r}.next_attempt_at <= ${now})
        OR (${r}.status = 'PROCESSING' AND ${r}.locked_until < ${now}))`;
  const finish = (status: string, set: string) => `UPDATE ${t}
    SET status = '${status}', locked_by = NULL, locked_until = NULL, ${set}
    WHERE id = $1 AND status = 'PROCESSING' AND locked_by = $2`;
  return {
    createTable: postgresOutboxTableSql(name),
    checkTable: `SELECT 1 FROM ${t} LIMIT 0`,
    // Creating indexes, even IF NOT EXISTS, locks the table against writes: skip when done.
    checkComplete: `SELECT ${[t, ...INDEXES.map(qualifiedIndex)].map(exists).join(' AND ')} AS complete`,
    // Serializes claims on this table (see PostgresOutboxStore.claim): $1 = qualified name.
    // The lock is held to the end of the transaction: if the app vanishes mid-transaction
    // (no TCP reset), the server ends the idle session after a while instead of keeping
    // every other relay waiting until TCP keepalive notices.
    lock: `SELECT set_config('idle_in_transaction_session_timeout', '${PG_CLAIM_IDLE_TIMEOUT_MS}', true),
      pg_advisory_xact_lock(${PG_CLAIM_LOCK_CLASS}, hashtext($1))`,
    // $1 owner, $2 lease ms, $3 limit. A key's current row: its PROCESSING row if it has one
    // (only when rows were committed out of seq order), else its oldest unfinished row;
    // keyless rows are each their own key. The claimable test is repeated on the locked row
    // so that a row changed since the snapshot is re-checked (READ COMMITTED re-evaluates
    // the WHERE clause of FOR UPDATE on the newest version of the row).
    claim: `WITH clock AS MATERIALIZED (SELECT clock_timestamp() AS now),
current_rows AS (
  (SELECT DISTINCT ON (topic, key) id, status, next_attempt_at, locked_until
     FROM ${t}
    WHERE ${PG_UNFINISHED} AND key IS NOT NULL
    ORDER BY topic, key, status <> 'PROCESSING', seq)
  UNION ALL
  SELECT id, status, next_attempt_at, locked_until
    FROM ${t}
   WHERE ${PG_UNFINISHED} AND key IS NULL
),
candidates AS (
  SELECT o.id
    FROM ${t} o, clock
   WHERE o.id IN (SELECT c.id FROM current_rows c, clock k WHERE ${due('c', 'k.now')})
     AND ${due('o', 'clock.now')}
   ORDER BY o.seq
   LIMIT $3
   FOR UPDATE OF o SKIP LOCKED
)
UPDATE ${t} o
   SET status = 'PROCESSING', locked_by = $1,
       locked_until = clock.now + $2::bigint * interval '1 millisecond',
       attempts = o.attempts + 1
  FROM candidates, clock
 WHERE o.id = candidates.id
RETURNING o.*`,
    markPublished: finish(
      'PUBLISHED',
      'published_at = now(), kafka_partition = $3, kafka_offset = $4',
    ),
    markFailed: finish('FAILED', 'last_error = $3, next_attempt_at = $4'),
    markDead: finish('DEAD', 'last_error = $3'),
    hasUnfinished: `SELECT EXISTS (
      SELECT 1 FROM ${t} WHERE topic = $1 AND key = $2 AND ${PG_UNFINISHED}) AS found`,
    unfinishedKeys: `SELECT DISTINCT topic, key FROM ${t}
      WHERE ${PG_UNFINISHED} AND key IS NOT NULL`,
    stats: `SELECT
      (SELECT count(*) FROM ${t} WHERE ${PG_UNFINISHED}) AS backlog,
      (SELECT extract(epoch FROM clock_timestamp() - min(created_at)) * 1000
         FROM ${t} WHERE ${PG_UNFINISHED}) AS oldest_age_ms,
      (SELECT count(*) FROM ${t} WHERE status = 'DEAD') AS dead`,
    deletePublished: `DELETE FROM ${t} WHERE status = 'PUBLISHED' AND published_at < $1`,
    selectById: `SELECT * FROM ${t} WHERE id = $1`,
    insert(rows: number): string {
      const values: string[] = [];
      for (let i = 0; i < rows; i++) {
        const p = i * 7;
        values.push(
          `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6}::jsonb, $${p + 7})`,
        );
      }
      // VALUES rows are inserted in order, so seq follows the order of the records.
      return `INSERT INTO ${t} (id, topic, key, partition, value, headers, timestamp_ms)
VALUES ${values.join(',\n       ')}`;
    },
  };
}
