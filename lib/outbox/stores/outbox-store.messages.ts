/** User-facing message texts of the outbox stores, in one place. */
export const OutboxStoreMessages = {
  invalidRecord: (index: number, reason: string) => `outbox record #${index} is invalid: ${reason}`,
  duplicateId: (id: string) => `outbox record ${id} already exists`,
  invalidClaim: (reason: string) => `invalid claim options: ${reason}`,
  invalidIdentifier: (what: string, name: string) =>
    `invalid ${what} name ${JSON.stringify(name)}: use letters, digits and _ (at most 63 characters, not starting with a digit)`,
  pgNeedsConnection: 'PostgresOutboxStore needs a `pool` (a pg.Pool) or a `connectionString`',
  pgMissing: (reason: string) =>
    `PostgresOutboxStore needs the "pg" package (npm install pg): ${reason}`,
  pgBadTransaction:
    'PostgresOutboxStore.add: `transaction` must be a connected pg PoolClient or Client (inside BEGIN)',
  sqliteNeedsDatabase: 'SqliteOutboxStore needs a `filename` or a better-sqlite3 `database`',
  sqliteMissing: (reason: string) =>
    `SqliteOutboxStore needs the "better-sqlite3" package, major version 12 (npm install better-sqlite3@12): ${reason}`,
  sqliteBadTransaction:
    'SqliteOutboxStore.add: `transaction` must be the better-sqlite3 Database whose db.transaction(...) function is running',
  sqliteNotInitialized:
    'SqliteOutboxStore.add with a transaction needs the store initialized first: await store.init()',
  closed: (store: string) => `${store} is closed`,
} as const;
