import { quoteIdentifier } from './sql-identifier.js';

/** `status IN (...)` of unfinished rows: the same text as the partial indexes' predicate. */
export const SQLITE_UNFINISHED = `status IN ('PENDING', 'PROCESSING', 'FAILED')`;

/** The SQL the SQLite store runs, for one table. */
export interface SqliteOutboxSql {
  readonly createTable: string;
  readonly insert: string;
  readonly selectById: string;
  readonly claimable: string;
  readonly lease: string;
  readonly finish: string;
  readonly hasUnfinished: string;
  readonly unfinishedKeys: string;
  readonly stats: string;
  readonly deletePublished: string;
}

/**
 * The DDL of the SQLite outbox table and its indexes (idempotent), for users' own migrations.
 * Times are INTEGER ms since epoch; `seq` is the AUTOINCREMENT rowid, so it is never reused.
 *
 * @param table Table name. Default `'kafka_outbox'`.
 */
export function sqliteOutboxTableSql(table = 'kafka_outbox'): string {
  const t = quoteIdentifier('table', table);
  const index = (suffix: string) => quoteIdentifier('index', `${table}_${suffix}`.slice(0, 63));
  return `
CREATE TABLE IF NOT EXISTS ${t} (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  topic TEXT NOT NULL,
  key BLOB,
  partition INTEGER,
  value BLOB,
  headers TEXT NOT NULL DEFAULT '{}',
  timestamp_ms INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'PENDING'
    CHECK (status IN ('PENDING', 'PROCESSING', 'PUBLISHED', 'FAILED', 'DEAD')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  locked_until INTEGER,
  locked_by TEXT,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  published_at INTEGER,
  kafka_partition INTEGER,
  kafka_offset TEXT
);
CREATE INDEX IF NOT EXISTS ${index('unfinished_key_idx')}
  ON ${t} (topic, key, seq) WHERE ${SQLITE_UNFINISHED};
CREATE INDEX IF NOT EXISTS ${index('unfinished_seq_idx')}
  ON ${t} (seq) WHERE ${SQLITE_UNFINISHED};
CREATE INDEX IF NOT EXISTS ${index('status_next_idx')} ON ${t} (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS ${index('published_idx')}
  ON ${t} (published_at) WHERE status = 'PUBLISHED';
`;
}

/** Builds the statements of {@link SqliteOutboxSql} for `table`. */
export function sqliteOutboxSql(table: string): SqliteOutboxSql {
  const t = quoteIdentifier('table', table);
  return {
    createTable: sqliteOutboxTableSql(table),
    insert: `INSERT INTO ${t}
      (id, topic, key, partition, value, headers, timestamp_ms, status, attempts,
       next_attempt_at, created_at)
      VALUES (@id, @topic, @key, @partition, @value, @headers, @timestamp, 'PENDING', 0,
       @now, @now)`,
    selectById: `SELECT * FROM ${t} WHERE id = ?`,
    // A key's current row: its PROCESSING row if it has one (only when rows were committed
    // out of seq order), else its oldest unfinished row. Keyless rows are their own key.
    claimable: `SELECT r.id FROM ${t} r
      WHERE r.${SQLITE_UNFINISHED}
        AND ((r.status IN ('PENDING', 'FAILED') AND r.next_attempt_at <= @now)
          OR (r.status = 'PROCESSING' AND r.locked_until < @now))
        AND (r.key IS NULL OR r.seq = (
          SELECT c.seq FROM ${t} c
          WHERE c.topic = r.topic AND c.key = r.key AND c.${SQLITE_UNFINISHED}
          ORDER BY c.status <> 'PROCESSING', c.seq
          LIMIT 1))
      ORDER BY r.seq
      LIMIT @limit`,
    lease: `UPDATE ${t}
      SET status = 'PROCESSING', locked_by = @owner, locked_until = @until,
          attempts = attempts + 1
      WHERE id = @id`,
    finish: `UPDATE ${t}
      SET status = @status, locked_by = NULL, locked_until = NULL,
          published_at = COALESCE(@publishedAt, published_at),
          kafka_partition = COALESCE(@kafkaPartition, kafka_partition),
          kafka_offset = COALESCE(@kafkaOffset, kafka_offset),
          last_error = COALESCE(@error, last_error),
          next_attempt_at = COALESCE(@nextAttemptAt, next_attempt_at)
      WHERE id = @id AND status = 'PROCESSING' AND locked_by = @owner`,
    hasUnfinished: `SELECT EXISTS (
      SELECT 1 FROM ${t} WHERE topic = ? AND key = ? AND ${SQLITE_UNFINISHED}) AS found`,
    unfinishedKeys: `SELECT DISTINCT topic, key FROM ${t}
      WHERE ${SQLITE_UNFINISHED} AND key IS NOT NULL`,
    stats: `SELECT
      (SELECT COUNT(*) FROM ${t} WHERE ${SQLITE_UNFINISHED}) AS backlog,
      (SELECT MIN(created_at) FROM ${t} WHERE ${SQLITE_UNFINISHED}) AS oldest,
      (SELECT COUNT(*) FROM ${t} WHERE status = 'DEAD') AS dead`,
    deletePublished: `DELETE FROM ${t} WHERE status = 'PUBLISHED' AND published_at < ?`,
  };
}
