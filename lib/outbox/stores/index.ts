export * from './outbox-store.interface.js';
export { MemoryOutboxStore, type MemoryOutboxStoreOptions } from './memory-outbox.store.js';
export {
  SqliteOutboxStore,
  type SqliteDatabaseLike,
  type SqliteOutboxStoreOptions,
} from './sqlite-outbox.store.js';
export { sqliteOutboxTableSql } from './sqlite-outbox.sql.js';
export {
  PostgresOutboxStore,
  type PgPoolClientLike,
  type PgPoolLike,
  type PgQueryableLike,
  type PgQueryResultLike,
  type PostgresOutboxStoreOptions,
} from './postgres-outbox.store.js';
export { postgresOutboxTableSql, type PgTableName } from './postgres-outbox.sql.js';
