import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeOutboxStoreContract, outboxRecord } from './outbox-store.contract.js';
import type { OutboxStore } from './outbox-store.interface.js';
import { SqliteOutboxStore } from './sqlite-outbox.store.js';
import { sqliteOutboxTableSql } from './sqlite-outbox.sql.js';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-outbox-'));
let files = 0;
const filenames = new WeakMap<OutboxStore, string>();

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open(filename: string): Promise<OutboxStore> {
  const store = new SqliteOutboxStore({ filename });
  await store.init();
  filenames.set(store, filename);
  return store;
}

describeOutboxStoreContract('SqliteOutboxStore', {
  make: () => open(join(dir, `outbox-${++files}.db`)),
  reopen: async (store) => {
    await store.close();
    return open(filenames.get(store)!);
  },
});

describe('SqliteOutboxStore', () => {
  const fresh = () => join(dir, `extra-${++files}.db`);

  it('needs a filename or a database', () => {
    expect(() => new SqliteOutboxStore({})).toThrow(/filename/);
  });

  it('uses WAL mode and survives a restart of the process (a new connection)', async () => {
    const filename = fresh();
    const store = new SqliteOutboxStore({ filename, table: 'events_outbox' });
    const r1 = outboxRecord();
    await store.add([r1]);
    await store.close();
    const db = new Database(filename, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT id, status FROM events_outbox').all()).toEqual([
        { id: r1.id, status: 'PENDING' },
      ]);
    } finally {
      db.close();
    }
  });

  it('adds inside the caller’s db.transaction(), committing and rolling back with it', async () => {
    const db = new Database(fresh());
    const store = new SqliteOutboxStore(db);
    await store.init();
    db.exec('CREATE TABLE orders (id TEXT PRIMARY KEY)');
    const insertOrder = db.prepare('INSERT INTO orders (id) VALUES (?)');
    const committed = outboxRecord();
    const place = db.transaction((orderId: string, record = committed) => {
      insertOrder.run(orderId);
      void store.add([record], { transaction: db });
    });
    place('o1');
    expect((await store.get(committed.id))?.status).toBe('PENDING');

    const rolledBack = outboxRecord();
    const failing = db.transaction(() => {
      insertOrder.run('o2');
      void store.add([rolledBack], { transaction: db });
      throw new Error('business rule');
    });
    expect(() => failing()).toThrow('business rule');
    expect(await store.get(rolledBack.id)).toBeUndefined();
    expect(db.prepare('SELECT COUNT(*) AS n FROM orders').get()).toEqual({ n: 1 });

    // A failing add throws synchronously and so rolls the business row back too.
    expect(() => place('o3', { ...outboxRecord(), id: committed.id })).toThrow(/already exists/);
    expect(db.prepare('SELECT COUNT(*) AS n FROM orders').get()).toEqual({ n: 1 });
    await store.close();
    expect(db.open).toBe(true);
    db.close();
  });

  it('adds between the caller’s BEGIN and COMMIT on another connection to the file', async () => {
    const filename = fresh();
    const store = new SqliteOutboxStore({ filename });
    await store.init();
    const app = new Database(filename);
    app.pragma('busy_timeout = 5000');
    const r1 = outboxRecord();
    app.exec('BEGIN');
    await store.add([r1], { transaction: app });
    expect(await store.get(r1.id)).toBeUndefined(); // not committed yet
    app.exec('COMMIT');
    expect((await store.get(r1.id))?.status).toBe('PENDING');
    const r2 = outboxRecord();
    app.exec('BEGIN');
    await store.add([r2], { transaction: app });
    app.exec('ROLLBACK');
    expect(await store.get(r2.id)).toBeUndefined();
    app.close();
    await store.close();
  });

  it('rejects a transaction that is not an open better-sqlite3 transaction', async () => {
    const db = new Database(':memory:');
    const store = new SqliteOutboxStore({ database: db });
    await store.init();
    expect(store.durable).toBe(false);
    expect(() => store.add([outboxRecord()], { transaction: db })).toThrow(/db.transaction/);
    expect(() => store.add([outboxRecord()], { transaction: {} })).toThrow(/db.transaction/);
    db.close();
  });

  it('exposes its DDL for migrations, and works on a table created from it', async () => {
    const filename = fresh();
    const db = new Database(filename);
    db.exec(sqliteOutboxTableSql('my_outbox'));
    db.close();
    const store = new SqliteOutboxStore({ filename, table: 'my_outbox', createTable: false });
    const r1 = outboxRecord();
    await store.add([r1]);
    expect((await store.claim({ owner: 'a', limit: 5, leaseMs: 1000 }))[0].id).toBe(r1.id);
    await store.close();
  });

  it('shares one file between two stores (two processes), one claim at a time', async () => {
    const filename = fresh();
    const a = new SqliteOutboxStore({ filename });
    const b = new SqliteOutboxStore({ filename });
    await a.add(Array.from({ length: 10 }, () => outboxRecord()));
    const [fromA, fromB] = await Promise.all([
      a.claim({ owner: 'a', limit: 10, leaseMs: 30_000 }),
      b.claim({ owner: 'b', limit: 10, leaseMs: 30_000 }),
    ]);
    expect(fromA.length + fromB.length).toBe(1);
    await a.close();
    await b.close();
  });

  it('keeps one row of a key in flight even when an older row of the key appears', async () => {
    // As when rows of one key commit out of seq order (possible in PostgreSQL): a row with a
    // lower seq shows up while a later row of its key is PROCESSING.
    const db = new Database(fresh());
    const store = new SqliteOutboxStore({ database: db });
    const placeholder = outboxRecord();
    const later = outboxRecord();
    await store.add([placeholder, later]);
    const { seq } = (await store.get(placeholder.id))!;
    db.prepare('DELETE FROM kafka_outbox WHERE id = ?').run(placeholder.id);
    expect((await store.claim({ owner: 'a', limit: 10, leaseMs: 30_000 }))[0].id).toBe(later.id);
    const older = outboxRecord();
    await store.add([older]);
    db.prepare('UPDATE kafka_outbox SET seq = ? WHERE id = ?').run(seq, older.id);
    expect(await store.claim({ owner: 'b', limit: 10, leaseMs: 30_000 })).toEqual([]);
    await store.markPublished(later.id, 'a', { partition: 0, offset: '0' });
    const next = await store.claim({ owner: 'b', limit: 10, leaseMs: 30_000 });
    expect(next.map((r) => [r.id, r.seq])).toEqual([[older.id, seq]]);
    await store.close();
    db.close();
  });

  it('rejects bad table names', () => {
    expect(() => new SqliteOutboxStore({ filename: fresh(), table: 'x; DROP TABLE y' })).toThrow(
      /invalid table name/,
    );
  });
});
