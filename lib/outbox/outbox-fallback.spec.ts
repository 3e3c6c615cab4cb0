import { describe, expect, it } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { uuidv7 } from '../utils/uuidv7.js';
import { OutboxFallback } from './outbox-fallback.js';
import { MemoryOutboxStore } from './stores/memory-outbox.store.js';

const logger = { log: () => undefined, warn: () => undefined } as unknown as Logger;
const retriable = Object.assign(new Error('broker down'), { retriable: true });
const fatal = Object.assign(new Error('record too large'), { retriable: false });
const flushed = () => new Promise((resolve) => setImmediate(resolve));

function record(key: string | null, topic = 't'): OutgoingRecord {
  const eventId = uuidv7();
  return {
    topic,
    keyValue: key,
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(eventId),
    headers: {},
    timestamp: 0,
    eventId,
    size: 1,
  };
}

/** A direct send the test settles by hand (the accumulator's answer). */
class Direct {
  readonly promise: Promise<DeliveryReport>;
  ack!: () => void;
  fail!: (error: Error) => void;
  constructor(readonly record: OutgoingRecord) {
    this.promise = new Promise((resolve, reject) => {
      this.ack = () =>
        resolve({
          topic: record.topic,
          partition: 0,
          offset: '0',
          key: record.keyValue,
          timestamp: '0',
          eventId: record.eventId,
        });
      this.fail = reject;
    });
  }
}

function setUp() {
  const store = new MemoryOutboxStore();
  let wakes = 0;
  const fallback = new OutboxFallback(
    store,
    logger,
    () => wakes++,
    (r) => ({
      topic: r.topic,
      partition: -1,
      offset: '-1',
      key: r.keyValue,
      timestamp: '0',
      eventId: r.eventId,
    }),
  );
  const outcomes = new Map<string, Promise<DeliveryReport>>();
  /** Routes `r` as the engine does, in call order; returns its direct send, if one was made. */
  const route = (r: OutgoingRecord): Direct | undefined => {
    let direct: Direct | undefined;
    const outcome = fallback.route(r, 0, () => (direct = new Direct(r)).promise);
    outcome.catch(() => undefined);
    outcomes.set(r.eventId, outcome);
    return direct;
  };
  /** The stored rows' event ids, oldest first, as the relay would take them (one key here). */
  const rows = async (): Promise<string[]> => {
    const out: string[] = [];
    for (;;) {
      const [row] = await store.claim({ owner: 'test', limit: 1, leaseMs: 60_000 });
      if (!row) return out;
      out.push(row.id);
      await store.markPublished(row.id, 'test', { partition: 0, offset: '0' });
    }
  };
  return { store, fallback, route, outcomes, rows, wakes: () => wakes };
}

describe('OutboxFallback', () => {
  it('a later record of a deferring key is stored behind the earlier ones still in flight (run B)', async () => {
    const { route, outcomes, rows } = setUp();
    const sent = [1, 2, 3, 4, 5].map(() => record('k'));
    const direct = sent.map((r) => route(r)!);
    direct[0].fail(retriable); // the first one times out and is deferred
    await flushed();
    const later = record('k');
    expect(route(later)).toBeUndefined(); // the key is deferring: not sent to Kafka
    await flushed();
    for (const d of direct.slice(1)) d.fail(retriable); // the rest fail later
    await Promise.all(outcomes.values());
    expect(await rows()).toEqual([...sent, later].map((r) => r.eventId));
    for (const r of [...sent, later]) {
      expect((await outcomes.get(r.eventId))!.deferred).toBe(true);
    }
  });

  it('records that arrive while an earlier one still waits in the producer go behind it (run A)', async () => {
    const { route, outcomes, rows } = setUp();
    const [a, b] = [record('k'), record('k')];
    const [da, db] = [route(a)!, route(b)!];
    da.fail(retriable);
    await flushed();
    const [c, d] = [record('k'), record('k')];
    route(c);
    route(d);
    await flushed();
    db.fail(retriable); // b was in a request of its own that failed only later
    await Promise.all(outcomes.values());
    expect(await rows()).toEqual([a, b, c, d].map((r) => r.eventId));
  });

  it('an earlier record that is acked needs no row; the key defers from its first failure on', async () => {
    const { route, outcomes, rows } = setUp();
    const [a, b] = [record('k'), record('k')];
    const [da, db] = [route(a)!, route(b)!];
    da.ack();
    db.fail(retriable);
    await Promise.all(outcomes.values());
    const c = record('k');
    expect(route(c)).toBeUndefined();
    await outcomes.get(c.eventId);
    expect((await outcomes.get(a.eventId))!.deferred).toBeUndefined();
    expect(await rows()).toEqual([b, c].map((r) => r.eventId));
  });

  it('a fatal failure rejects and stores nothing; it does not hold the key', async () => {
    const { route, outcomes, rows } = setUp();
    const a = record('k');
    route(a)!.fail(fatal);
    await expect(outcomes.get(a.eventId)).rejects.toBe(fatal);
    const b = record('k');
    expect(route(b)).toBeDefined();
    expect(await rows()).toEqual([]);
  });

  it('other keys are not held by a deferring key, and keyless records are stored on failure', async () => {
    const { route, outcomes, rows } = setUp();
    route(record('k'))!.fail(retriable);
    const keyless = record(null);
    route(keyless)!.fail(retriable);
    await Promise.all(outcomes.values());
    expect(route(record('other'))).toBeDefined();
    expect(route(record(null))).toBeDefined();
    expect(await rows()).toHaveLength(2);
  });

  it('a key goes direct again only once its rows are published and none is being written', async () => {
    const { store, fallback, route, outcomes } = setUp();
    const [a, b] = [record('k'), record('k')];
    const [da, db] = [route(a)!, route(b)!];
    da.fail(retriable);
    await outcomes.get(a.eventId);
    const c = record('k');
    expect(route(c)).toBeUndefined(); // deferring; its row waits for b, still in flight
    const publishAll = async () => {
      for (;;) {
        const [row] = await store.claim({ owner: 'relay', limit: 10, leaseMs: 60_000 });
        if (!row) return;
        await store.markPublished(row.id, 'relay', { partition: 0, offset: '0' });
        fallback.finished(row);
      }
    };
    await publishAll(); // a's row: c is not written yet, so the key stays deferring
    await flushed();
    expect(route(record('k'))).toBeUndefined();
    db.ack();
    await Promise.all(outcomes.values());
    await publishAll();
    await flushed();
    expect(route(record('k'))).toBeDefined();
  });

  it('keys with rows from an earlier run defer from the start', async () => {
    const { store, fallback, route } = setUp();
    await store.add([
      {
        id: uuidv7(),
        topic: 't',
        key: Buffer.from('k'),
        partition: null,
        value: null,
        headers: {},
        timestamp: 0,
      },
    ]);
    await fallback.init();
    expect(route(record('k'))).toBeUndefined();
    expect(route(record('j'))).toBeDefined();
  });
});
