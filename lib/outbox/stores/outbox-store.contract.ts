/**
 * The behaviour every OutboxStore must have, as a jest suite to run against each store
 * (unit specs for memory and SQLite, an e2e spec against a real PostgreSQL). Test code: not
 * exported from the package's index.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { uuidv7 } from '../../utils/uuidv7.js';
import type { OutboxRecord, OutboxRow, OutboxStore } from './outbox-store.interface.js';

/** How the contract gets stores. */
export interface OutboxStoreContractOptions {
  /** A new, initialized, empty store (its own table or file). */
  make: () => Promise<OutboxStore>;
  /**
   * Closes `store` and opens a new one on the same storage (durable stores only): the
   * durability tests run when it is given.
   */
  reopen?: (store: OutboxStore) => Promise<OutboxStore>;
}

/**
 * Short leases and retry delays: long enough that a loaded machine gets from one call to the
 * next within them, short enough to keep the suite quick.
 */
const SHORT_MS = 400;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every byte value, so that encodings that lose 0x00, 0x80-0xff or invalid UTF-8 show. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

let counter = 0;

/** A record with defaults: topic `orders`, key `k1`, value `v<n>`, an x-event-id header. */
export function outboxRecord(overrides: Partial<OutboxRecord> = {}): OutboxRecord {
  const id = overrides.id ?? uuidv7();
  counter++;
  return {
    id,
    topic: 'orders',
    key: Buffer.from('k1'),
    partition: null,
    value: Buffer.from(`v${counter}`),
    headers: { 'x-event-id': Buffer.from(id) },
    timestamp: 1_700_000_000_000 + counter,
    ...overrides,
  };
}

/**
 * Registers the OutboxStore contract tests under `describe(name)`.
 *
 * @param name Suite name, e.g. `'SqliteOutboxStore'`.
 * @param options How to make (and reopen) stores.
 */
export function describeOutboxStoreContract(
  name: string,
  options: OutboxStoreContractOptions,
): void {
  describe(`${name} (OutboxStore contract)`, () => {
    let store: OutboxStore;
    const opened: OutboxStore[] = [];

    beforeEach(async () => {
      store = await options.make();
      opened.push(store);
    });

    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    const claim = (owner = 'relay-a', limit = 100, leaseMs = 30_000) =>
      store.claim({ owner, limit, leaseMs });
    const ids = (rows: ReadonlyArray<{ readonly id: string }>) => rows.map((r) => r.id);
    const publish = (row: OutboxRow, owner = 'relay-a') =>
      store.markPublished(row.id, owner, { partition: 0, offset: String(row.seq) });

    describe('add and get', () => {
      it('init is idempotent', async () => {
        await store.init();
        await store.init();
        const r = outboxRecord();
        await store.add([r]);
        await store.init();
        expect((await store.get(r.id))?.id).toBe(r.id);
      });

      it('stores a PENDING row with every field of the record', async () => {
        const before = Date.now();
        const r = outboxRecord({ partition: 3, timestamp: 1_699_999_999_123 });
        await store.add([r]);
        const row = await store.get(r.id);
        expect(row).toEqual(
          expect.objectContaining({
            id: r.id,
            topic: r.topic,
            key: r.key,
            partition: 3,
            value: r.value,
            headers: r.headers,
            timestamp: 1_699_999_999_123,
            status: 'PENDING',
            attempts: 0,
            lockedUntil: null,
            lockedBy: null,
            lastError: null,
            publishedAt: null,
            kafkaPartition: null,
            kafkaOffset: null,
          }),
        );
        expect(Number.isSafeInteger(row!.seq)).toBe(true);
        expect(row!.createdAt).toBeInstanceOf(Date);
        expect(row!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(row!.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
        expect(row!.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      });

      it('assigns increasing seq in the order of the records, across adds', async () => {
        const first = [outboxRecord(), outboxRecord({ key: null }), outboxRecord({ topic: 'x' })];
        const second = [outboxRecord(), outboxRecord()];
        await store.add(first);
        await store.add(second);
        const seqs: number[] = [];
        for (const r of [...first, ...second]) seqs.push((await store.get(r.id))!.seq);
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
        expect(new Set(seqs).size).toBe(seqs.length);
      });

      it('round-trips binary keys, values and headers byte for byte', async () => {
        const binary = outboxRecord({
          key: Buffer.from([0x00, 0xff, 0x00, 0x80, 0xfe]),
          value: ALL_BYTES,
          headers: {
            'x-event-id': Buffer.from('e'),
            bin: Buffer.from([0xff, 0x00, 0xc3, 0x28]),
            empty: Buffer.alloc(0),
            'üñíçødé ✓': Buffer.from('välue'),
          },
        });
        const nulls = outboxRecord({ key: null, value: null, headers: {} });
        const empties = outboxRecord({ key: Buffer.alloc(0), value: Buffer.alloc(0) });
        await store.add([binary, nulls, empties]);
        const b = (await store.get(binary.id))!;
        expect(Buffer.isBuffer(b.key)).toBe(true);
        expect(b.key!.equals(binary.key!)).toBe(true);
        expect(b.value!.equals(ALL_BYTES)).toBe(true);
        expect(Object.keys(b.headers).sort()).toEqual(Object.keys(binary.headers).sort());
        for (const [name, value] of Object.entries(binary.headers)) {
          expect(Buffer.isBuffer(b.headers[name])).toBe(true);
          expect(b.headers[name].equals(value)).toBe(true);
        }
        const n = (await store.get(nulls.id))!;
        expect(n.key).toBeNull();
        expect(n.value).toBeNull();
        expect(n.headers).toEqual({});
        const e = (await store.get(empties.id))!;
        expect(e.key).toEqual(Buffer.alloc(0));
        expect(e.value).toEqual(Buffer.alloc(0));
      });

      it('does not share bytes with the caller', async () => {
        const r = outboxRecord({ key: Buffer.from('key'), value: Buffer.from('value') });
        await store.add([r]);
        r.key!.fill(0);
        r.value!.fill(0);
        const row = (await store.get(r.id))!;
        expect(row.key!.toString()).toBe('key');
        row.value!.fill(1);
        expect((await store.get(r.id))!.value!.toString()).toBe('value');
      });

      it('returns undefined for an unknown or malformed id; ids are case-insensitive', async () => {
        const r = outboxRecord();
        await store.add([r]);
        expect(await store.get(uuidv7())).toBeUndefined();
        expect(await store.get('not-a-uuid')).toBeUndefined();
        expect((await store.get(r.id.toUpperCase()))?.id).toBe(r.id);
      });

      it('adds nothing for an empty list', async () => {
        await store.add([]);
        expect(await store.stats()).toEqual({ backlog: 0, oldestAgeMs: null, dead: 0 });
      });

      it('rejects invalid records and adds none of the batch', async () => {
        const good = outboxRecord();
        await expect(store.add([good, outboxRecord({ id: 'nope' })])).rejects.toThrow(/not a UUID/);
        await expect(store.add([outboxRecord({ topic: '' })])).rejects.toThrow(/topic/);
        await expect(
          store.add([outboxRecord({ key: 'text' as unknown as Buffer })]),
        ).rejects.toThrow(/key/);
        await expect(
          store.add([outboxRecord({ headers: { h: 'text' as unknown as Buffer } })]),
        ).rejects.toThrow(/header/);
        expect(await store.get(good.id)).toBeUndefined();
      });

      it('rejects a duplicate id, atomically', async () => {
        const r = outboxRecord();
        await store.add([r]);
        const fresh = outboxRecord();
        await expect(store.add([fresh, { ...outboxRecord(), id: r.id }])).rejects.toThrow(
          /already exists/,
        );
        expect(await store.get(fresh.id)).toBeUndefined();
        expect((await store.stats()).backlog).toBe(1);
      });
    });

    describe('claim', () => {
      it('claims the oldest row of each key, in seq order, and leases it', async () => {
        const a1 = outboxRecord({ key: Buffer.from('a') });
        const b1 = outboxRecord({ key: Buffer.from('b') });
        const a2 = outboxRecord({ key: Buffer.from('a') });
        const c1 = outboxRecord({ key: Buffer.from('c') });
        await store.add([a1, b1, a2, c1]);
        const before = Date.now();
        const rows = await claim('relay-a', 100, 60_000);
        expect(ids(rows)).toEqual([a1.id, b1.id, c1.id]);
        for (const row of rows) {
          expect(row.status).toBe('PROCESSING');
          expect(row.lockedBy).toBe('relay-a');
          expect(row.attempts).toBe(1);
          expect(row.lockedUntil!.getTime()).toBeGreaterThanOrEqual(before + 60_000 - 1000);
          expect(row.lockedUntil!.getTime()).toBeLessThanOrEqual(Date.now() + 60_000 + 1000);
        }
        expect(rows[0].value).toEqual(a1.value);
        expect(await store.get(a1.id)).toEqual(expect.objectContaining({ status: 'PROCESSING' }));
        expect((await store.get(a2.id))!.status).toBe('PENDING');
        expect(await claim('relay-b')).toEqual([]);
      });

      it('respects the limit, oldest first', async () => {
        const records = Array.from({ length: 5 }, (_, i) =>
          outboxRecord({ key: Buffer.from(`k${i}`) }),
        );
        await store.add(records);
        expect(await store.claim({ owner: 'o', limit: 0, leaseMs: 1000 })).toEqual([]);
        expect(ids(await claim('o', 2))).toEqual(ids(records.slice(0, 2)));
        expect(ids(await claim('o', 2))).toEqual(ids(records.slice(2, 4)));
        expect(ids(await claim('o', 2))).toEqual(ids(records.slice(4)));
        expect(await claim('o', 2)).toEqual([]);
      });

      it('rejects invalid claim options', async () => {
        await expect(store.claim({ owner: '', limit: 1, leaseMs: 1000 })).rejects.toThrow(/owner/);
        await expect(store.claim({ owner: 'o', limit: -1, leaseMs: 1000 })).rejects.toThrow(
          /limit/,
        );
        await expect(store.claim({ owner: 'o', limit: 1, leaseMs: 0 })).rejects.toThrow(/leaseMs/);
      });

      it('holds a key back while its oldest row is PROCESSING', async () => {
        const r1 = outboxRecord();
        const r2 = outboxRecord();
        await store.add([r1, r2]);
        expect(ids(await claim('a'))).toEqual([r1.id]);
        expect(await claim('b')).toEqual([]);
        expect(await store.markPublished(r1.id, 'a', { partition: 1, offset: '7' })).toBe(true);
        expect(ids(await claim('b'))).toEqual([r2.id]);
      });

      it('holds a key back while its oldest row is FAILED and waiting; retries it first', async () => {
        const r1 = outboxRecord();
        const r2 = outboxRecord();
        await store.add([r1, r2]);
        await claim('a');
        const nextAttemptAt = new Date(Date.now() + SHORT_MS);
        expect(await store.markFailed(r1.id, 'a', { error: 'boom', nextAttemptAt })).toBe(true);
        const failed = (await store.get(r1.id))!;
        expect(failed).toEqual(
          expect.objectContaining({
            status: 'FAILED',
            lastError: 'boom',
            lockedBy: null,
            lockedUntil: null,
            attempts: 1,
          }),
        );
        expect(Math.abs(failed.nextAttemptAt.getTime() - nextAttemptAt.getTime())).toBeLessThan(5);
        expect(await claim('a')).toEqual([]);
        await sleep(SHORT_MS + 150);
        const retried = await claim('b');
        expect(ids(retried)).toEqual([r1.id]);
        expect(retried[0].attempts).toBe(2);
        expect(retried[0].lastError).toBe('boom');
        expect(await store.markDead(r1.id, 'b', { error: 'poison' })).toBe(true);
        const dead = (await store.get(r1.id))!;
        expect(dead).toEqual(
          expect.objectContaining({ status: 'DEAD', lastError: 'poison', lockedBy: null }),
        );
        // DEAD no longer blocks the key.
        expect(ids(await claim('b'))).toEqual([r2.id]);
      });

      it('publishes a key strictly one row after another', async () => {
        const keys = ['a', 'b', 'c'];
        const records: OutboxRecord[] = [];
        for (let i = 0; i < 12; i++) records.push(outboxRecord({ key: Buffer.from(keys[i % 3]) }));
        await store.add(records);
        const order: string[] = [];
        for (let round = 0; round < 10; round++) {
          const rows = await claim('a', 100);
          expect(new Set(rows.map((r) => r.key!.toString())).size).toBe(rows.length);
          for (const row of rows) {
            order.push(row.id);
            expect(await publish(row, 'a')).toBe(true);
          }
        }
        for (const key of keys) {
          const expected = records.filter((r) => r.key!.toString() === key).map((r) => r.id);
          expect(order.filter((id) => expected.includes(id))).toEqual(expected);
        }
        expect(order).toHaveLength(12);
      });

      it('treats the same key bytes on two topics as two keys', async () => {
        const t1 = outboxRecord({ topic: 'one', key: Buffer.from('k') });
        const t2 = outboxRecord({ topic: 'two', key: Buffer.from('k') });
        await store.add([t1, t2]);
        expect(ids(await claim())).toEqual([t1.id, t2.id]);
      });

      it('treats an empty key as a key, not as keyless', async () => {
        const e1 = outboxRecord({ key: Buffer.alloc(0) });
        const e2 = outboxRecord({ key: Buffer.alloc(0) });
        await store.add([e1, e2]);
        expect(ids(await claim())).toEqual([e1.id]);
      });

      it('never holds keyless rows back', async () => {
        const n1 = outboxRecord({ key: null });
        const n2 = outboxRecord({ key: null });
        const n3 = outboxRecord({ key: null });
        await store.add([n1, n2]);
        expect(ids(await claim('a', 1))).toEqual([n1.id]);
        expect(ids(await claim('b'))).toEqual([n2.id]);
        await store.markFailed(n2.id, 'b', {
          error: 'x',
          nextAttemptAt: new Date(Date.now() + 60_000),
        });
        await store.add([n3]);
        expect(ids(await claim('c'))).toEqual([n3.id]);
      });

      it('does not let keyless rows and keyed rows block each other', async () => {
        const k1 = outboxRecord({ key: Buffer.from('k') });
        const n1 = outboxRecord({ key: null });
        const k2 = outboxRecord({ key: Buffer.from('k') });
        await store.add([k1, n1, k2]);
        expect(ids(await claim())).toEqual([k1.id, n1.id]);
      });

      it('takes over a row whose lease expired, and counts the attempt', async () => {
        const r1 = outboxRecord();
        const r2 = outboxRecord();
        await store.add([r1, r2]);
        expect(ids(await claim('a', 100, SHORT_MS))).toEqual([r1.id]);
        expect(await claim('b', 100, SHORT_MS)).toEqual([]);
        await sleep(SHORT_MS + 150);
        const taken = await claim('b', 100, 30_000);
        expect(ids(taken)).toEqual([r1.id]);
        expect(taken[0]).toEqual(
          expect.objectContaining({ lockedBy: 'b', attempts: 2, status: 'PROCESSING' }),
        );
        // r2 still waits behind r1.
        expect(await claim('c')).toEqual([]);
      });

      it('fences the old owner out once another relay took the row over', async () => {
        const r1 = outboxRecord();
        await store.add([r1]);
        await claim('a', 100, SHORT_MS);
        await sleep(SHORT_MS + 150);
        await claim('b', 100, 30_000);
        const before = await store.get(r1.id);
        expect(await store.markPublished(r1.id, 'a', { partition: 0, offset: '1' })).toBe(false);
        expect(
          await store.markFailed(r1.id, 'a', { error: 'late', nextAttemptAt: new Date() }),
        ).toBe(false);
        expect(await store.markDead(r1.id, 'a', { error: 'late' })).toBe(false);
        expect(await store.get(r1.id)).toEqual(before);
        expect(await store.markPublished(r1.id, 'b', { partition: 2, offset: '42' })).toBe(true);
      });

      it('lets the owner finish a row whose lease expired if nobody took it over', async () => {
        const r1 = outboxRecord();
        await store.add([r1]);
        await claim('a', 100, 100);
        await sleep(200);
        expect(await store.markPublished(r1.id, 'a', { partition: 0, offset: '5' })).toBe(true);
        expect(await claim('b')).toEqual([]);
      });

      it('counts attempts across claims', async () => {
        const r1 = outboxRecord();
        await store.add([r1]);
        for (let attempt = 1; attempt <= 3; attempt++) {
          const [row] = await claim('a');
          expect(row.attempts).toBe(attempt);
          await store.markFailed(r1.id, 'a', { error: `e${attempt}`, nextAttemptAt: new Date(0) });
        }
        expect((await store.get(r1.id))!).toEqual(
          expect.objectContaining({ attempts: 3, status: 'FAILED', lastError: 'e3' }),
        );
      });

      it('lets two owners claiming at once never take the same row', async () => {
        const records = Array.from({ length: 40 }, (_, i) =>
          outboxRecord({ key: i % 4 === 0 ? null : Buffer.from(`k${i % 7}`) }),
        );
        await store.add(records);
        const results = await Promise.all(
          ['a', 'b', 'c', 'd'].map((owner) => store.claim({ owner, limit: 5, leaseMs: 30_000 })),
        );
        const claimed = results.flat();
        expect(new Set(ids(claimed)).size).toBe(claimed.length);
        const keyed = claimed.filter((r) => r.key !== null).map((r) => r.key!.toString());
        expect(new Set(keyed).size).toBe(keyed.length);
      });
    });

    describe('mark*', () => {
      it('markPublished records partition, offset and time, and clears the lease', async () => {
        const r1 = outboxRecord();
        await store.add([r1]);
        await claim('a');
        const before = Date.now();
        expect(
          await store.markPublished(r1.id, 'a', { partition: 4, offset: '9007199254740993' }),
        ).toBe(true);
        const row = (await store.get(r1.id))!;
        expect(row).toEqual(
          expect.objectContaining({
            status: 'PUBLISHED',
            kafkaPartition: 4,
            kafkaOffset: '9007199254740993',
            lockedBy: null,
            lockedUntil: null,
          }),
        );
        expect(row.publishedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(row.publishedAt!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      });

      it('refuses rows that are not PROCESSING, unknown ids and malformed ids', async () => {
        const r1 = outboxRecord();
        await store.add([r1]);
        expect(await store.markPublished(r1.id, 'a', { partition: 0, offset: '0' })).toBe(false);
        await claim('a');
        expect(await store.markPublished(r1.id, 'a', { partition: 0, offset: '0' })).toBe(true);
        expect(await store.markPublished(r1.id, 'a', { partition: 0, offset: '1' })).toBe(false);
        expect(await store.markDead(r1.id, 'a', { error: 'x' })).toBe(false);
        expect((await store.get(r1.id))!.kafkaOffset).toBe('0');
        expect(await store.markPublished(uuidv7(), 'a', { partition: 0, offset: '0' })).toBe(false);
        expect(await store.markDead('nope', 'a', { error: 'x' })).toBe(false);
      });
    });

    describe('queries', () => {
      it('hasUnfinished follows the rows of a key until they are finished', async () => {
        const k = Buffer.from([0x00, 0xff]);
        const r1 = outboxRecord({ key: k });
        const r2 = outboxRecord({ key: k });
        const keyless = outboxRecord({ key: null });
        expect(await store.hasUnfinished('orders', k)).toBe(false);
        await store.add([r1, r2, keyless]);
        expect(await store.hasUnfinished('orders', Buffer.from([0x00, 0xff]))).toBe(true);
        expect(await store.hasUnfinished('other', k)).toBe(false);
        expect(await store.hasUnfinished('orders', Buffer.from([0x00]))).toBe(false);
        expect(await store.hasUnfinished('orders', null)).toBe(false);
        const [row1] = await claim('a');
        expect(row1.id).toBe(r1.id);
        await store.markFailed(r1.id, 'a', { error: 'x', nextAttemptAt: new Date(0) });
        expect(await store.hasUnfinished('orders', k)).toBe(true);
        await claim('a');
        await store.markDead(r1.id, 'a', { error: 'x' });
        expect(await store.hasUnfinished('orders', k)).toBe(true);
        const [row2] = (await claim('a')).filter((r) => r.id === r2.id);
        await publish(row2, 'a');
        expect(await store.hasUnfinished('orders', k)).toBe(false);
      });

      it('unfinishedKeys lists each unfinished (topic, key) once, not keyless rows', async () => {
        await store.add([
          outboxRecord({ topic: 't1', key: Buffer.from('a') }),
          outboxRecord({ topic: 't1', key: Buffer.from('a') }),
          outboxRecord({ topic: 't2', key: Buffer.from('a') }),
          outboxRecord({ topic: 't1', key: Buffer.from([0xff]) }),
          outboxRecord({ topic: 't1', key: null }),
        ]);
        const done = outboxRecord({ topic: 't3', key: Buffer.from('z') });
        await store.add([done]);
        await claim('a');
        await store.markPublished(done.id, 'a', { partition: 0, offset: '0' });
        const keys = (await store.unfinishedKeys())
          .map(({ topic, key }) => {
            expect(Buffer.isBuffer(key)).toBe(true);
            return `${topic}/${key.toString('hex')}`;
          })
          .sort();
        expect(keys).toEqual(['t1/61', 't1/ff', 't2/61']);
      });

      it('stats counts the backlog, the oldest unfinished row age and dead rows', async () => {
        expect(await store.stats()).toEqual({ backlog: 0, oldestAgeMs: null, dead: 0 });
        const r1 = outboxRecord({ key: Buffer.from('a') });
        const r2 = outboxRecord({ key: Buffer.from('b') });
        const r3 = outboxRecord({ key: Buffer.from('c') });
        await store.add([r1]);
        await sleep(150);
        await store.add([r2, r3]);
        const stats = await store.stats();
        expect(stats.backlog).toBe(3);
        expect(stats.dead).toBe(0);
        expect(stats.oldestAgeMs).toBeGreaterThanOrEqual(100);
        expect(stats.oldestAgeMs).toBeLessThan(10_000);
        await claim('a');
        await store.markDead(r1.id, 'a', { error: 'x' });
        await store.markPublished(r2.id, 'a', { partition: 0, offset: '1' });
        const after = await store.stats();
        expect(after).toEqual({ backlog: 1, oldestAgeMs: expect.any(Number), dead: 1 });
        expect(after.oldestAgeMs).toBeLessThan(stats.oldestAgeMs!);
      });

      it('deletePublished deletes only PUBLISHED rows published before the cutoff', async () => {
        const old = outboxRecord({ key: Buffer.from('a') });
        const recent = outboxRecord({ key: Buffer.from('b') });
        const dead = outboxRecord({ key: Buffer.from('c') });
        const pending = outboxRecord({ key: Buffer.from('d') });
        await store.add([old, recent, dead]);
        await claim('a');
        await store.markPublished(old.id, 'a', { partition: 0, offset: '1' });
        await store.markDead(dead.id, 'a', { error: 'x' });
        await sleep(100);
        const cutoff = new Date();
        await sleep(100);
        await store.markPublished(recent.id, 'a', { partition: 0, offset: '2' });
        await store.add([pending]);
        expect(await store.deletePublished(cutoff)).toBe(1);
        expect(await store.get(old.id)).toBeUndefined();
        expect((await store.get(recent.id))?.status).toBe('PUBLISHED');
        expect((await store.get(dead.id))?.status).toBe('DEAD');
        expect((await store.get(pending.id))?.status).toBe('PENDING');
        expect(await store.deletePublished(cutoff)).toBe(0);
        expect(await store.deletePublished(new Date(Date.now() + 1000))).toBe(1);
      });

      it('never reuses a seq after deletes', async () => {
        const r1 = outboxRecord();
        await store.add([r1]);
        const [row] = await claim('a');
        await publish(row, 'a');
        expect(await store.deletePublished(new Date(Date.now() + 1000))).toBe(1);
        const r2 = outboxRecord();
        await store.add([r2]);
        expect((await store.get(r2.id))!.seq).toBeGreaterThan(row.seq);
      });
    });

    it('durable says whether rows survive a restart', () => {
      expect(typeof store.durable).toBe('boolean');
      expect(store.durable).toBe(options.reopen !== undefined);
    });

    it('close is idempotent', async () => {
      await store.close();
      await store.close();
    });

    if (options.reopen) {
      const reopen = options.reopen;
      it('keeps rows and their state across a close and reopen', async () => {
        const r1 = outboxRecord({ key: Buffer.from([0, 1, 255]) });
        const r2 = outboxRecord({ key: Buffer.from([0, 1, 255]) });
        const r3 = outboxRecord({ key: null, value: ALL_BYTES });
        await store.add([r1, r2, r3]);
        await store.claim({ owner: 'a', limit: 1, leaseMs: 200 });
        const before = await Promise.all([r1, r2, r3].map((r) => store.get(r.id)));
        store = await reopen(store);
        opened.push(store);
        expect(store.durable).toBe(true);
        const after = await Promise.all([r1, r2, r3].map((r) => store.get(r.id)));
        expect(after).toEqual(before);
        expect(after[0]!.status).toBe('PROCESSING');
        // The lease of the process that "died" expires and another relay takes it over.
        await sleep(300);
        const taken = await store.claim({ owner: 'b', limit: 10, leaseMs: 30_000 });
        expect(ids(taken)).toEqual([r1.id, r3.id]);
        expect(taken[0].attempts).toBe(2);
        const r4 = outboxRecord();
        await store.add([r4]);
        expect((await store.get(r4.id))!.seq).toBeGreaterThan(after[2]!.seq);
      });
    }
  });
}
