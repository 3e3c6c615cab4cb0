import { BufferExhaustedError } from '../errors/buffer-exhausted.error.js';
import { DeliveryTimeoutError } from '../errors/delivery-timeout.error.js';
import { RecordTooLargeError } from '../errors/record-too-large.error.js';
import { resolveReliability } from '../metadata/reliability-profile.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { maxInFlightFor } from '../idempotence/in-flight.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import { BufferMemory } from './buffer-memory.js';
import type { ProducerBatch } from './producer-batch.js';
import {
  RECORD_OVERHEAD_BYTES,
  RecordAccumulator,
  type AccumulatorSettings,
} from './record-accumulator.js';

const profile = resolveReliability('all', 10_000);
/** The transport's in-flight cap with `maxInFlightRequests` = n. */
const inFlight = (n: number) => (p: ReliabilityProfile) => maxInFlightFor(p, n);
const ack = resolveReliability('leader', 10_000);

function record(topic: string, size: number, id = 'e'): OutgoingRecord {
  return {
    topic,
    keyValue: null,
    key: null,
    value: Buffer.alloc(size),
    headers: {},
    timestamp: 0,
    eventId: id,
    size,
  };
}

/**
 * A broker stand-in: keeps a log per partition, answers each request with base offsets
 * the way Kafka does, and can be held back to keep requests in flight.
 */
class FakeBroker {
  readonly requests: Array<Array<{ topic: string; partition: number; count: number }>> = [];
  readonly logs = new Map<string, string[]>();
  private held: Array<() => void> = [];
  hold = false;

  transmit = async (batches: ProducerBatch[]) => {
    this.requests.push(
      batches.map((b) => ({ topic: b.topic, partition: b.partition, count: b.records.length })),
    );
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    for (const batch of batches) {
      const log = this.logs.get(`${batch.topic}/${batch.partition}`) ?? [];
      this.logs.set(`${batch.topic}/${batch.partition}`, log);
      batch.records.forEach((p) => {
        p.resolve({
          topic: batch.topic,
          partition: batch.partition,
          offset: String(log.length),
          key: null,
          timestamp: '0',
          eventId: p.record.eventId,
        });
        log.push(p.record.eventId);
      });
    }
  };

  release(): void {
    this.hold = false;
    for (const resolve of this.held.splice(0)) resolve();
  }
}

function setup(settings: Partial<AccumulatorSettings> = {}, memory = 1 << 20, maxBlockMs = 1000) {
  const broker = new FakeBroker();
  const buffer = new BufferMemory(memory, maxBlockMs);
  const accumulator = new RecordAccumulator(
    {
      lingerMs: 5,
      batchSize: 1000,
      maxInFlight: inFlight(5),
      maxRequestSize: 1 << 20,
      ...settings,
    },
    buffer,
    broker.transmit,
  );
  return { broker, buffer, accumulator };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RecordAccumulator', () => {
  it('sends a batch as soon as it reaches batchSize, without waiting for linger', async () => {
    const { broker, accumulator } = setup({ lingerMs: 60_000, batchSize: 1000 });
    const size = 200 - RECORD_OVERHEAD_BYTES; // 5 records fill a batch
    const sends = Array.from({ length: 5 }, (_, i) =>
      accumulator.append(record('t', size, `r${i}`), 0, profile, 'none'),
    );
    const reports = await Promise.all(sends);
    expect(broker.requests).toEqual([[{ topic: 't', partition: 0, count: 5 }]]);
    expect(reports.map((r) => r.offset)).toEqual(['0', '1', '2', '3', '4']);
  });

  it('lets go of a batch’s records once the batch is finished (acked or failed)', async () => {
    const broker = new FakeBroker();
    const seen: ProducerBatch[] = [];
    const accumulator = new RecordAccumulator(
      { lingerMs: 0, batchSize: 1000, maxInFlight: inFlight(5), maxRequestSize: 1 << 20 },
      new BufferMemory(1 << 20, 1000),
      async (batches) => {
        seen.push(...batches);
        await broker.transmit(batches);
      },
    );
    const acked = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        accumulator.append(record('t', 10, `r${i}`), 0, profile, 'none'),
      ),
    );
    await accumulator.drained();
    expect(acked.map((r) => r.offset)).toEqual(['0', '1', '2']);
    expect(seen.length).toBeGreaterThan(0);
    // A finished batch the GC had promoted would otherwise keep its records alive until
    // the next full collection (docs/performance.md, "A finished batch's records").
    expect(seen.map((b) => b.records.length)).toEqual(seen.map(() => 0));
    expect(accumulator.unfinishedRecords).toBe(0);
  });

  it('starts a new batch for a record that would overflow the current one', async () => {
    const { broker, accumulator } = setup({ lingerMs: 20, batchSize: 1000 });
    const a = accumulator.append(record('t', 700), 0, profile, 'none');
    const b = accumulator.append(record('t', 700), 0, profile, 'none');
    await Promise.all([a, b]);
    // Two batches of one record each, drained together (one partition's batches may share
    // a request up to maxRequestSize).
    expect(broker.requests).toEqual([
      [
        { topic: 't', partition: 0, count: 1 },
        { topic: 't', partition: 0, count: 1 },
      ],
    ]);
  });

  it('sends a partial batch once it has waited lingerMs, gathering concurrent sends', async () => {
    const { broker, accumulator } = setup({ lingerMs: 30, batchSize: 1 << 20 });
    const started = Date.now();
    const sends = Array.from({ length: 50 }, (_, i) =>
      accumulator.append(record('t', 10, `r${i}`), i % 3, profile, 'none'),
    );
    await tick();
    expect(broker.requests).toHaveLength(0);
    await Promise.all(sends);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    // One request carried the batch of every partition.
    expect(broker.requests).toHaveLength(1);
    expect(broker.requests[0].map((b) => [b.partition, b.count]).sort()).toEqual([
      [0, 17],
      [1, 17],
      [2, 16],
    ]);
  });

  it('lingerMs 0 sends at once, but what arrives in the same turn shares the request', async () => {
    const { broker, accumulator } = setup({ lingerMs: 0 });
    await Promise.all(
      Array.from({ length: 10 }, () => accumulator.append(record('t', 10), 0, profile, 'none')),
    );
    expect(broker.requests).toEqual([[{ topic: 't', partition: 0, count: 10 }]]);
  });

  it('keeps profiles and codecs in separate requests', async () => {
    const { broker, accumulator } = setup({ lingerMs: 0 });
    await Promise.all([
      accumulator.append(record('t', 10), 0, profile, 'none'),
      accumulator.append(record('t', 10), 0, ack, 'none'),
      accumulator.append(record('t', 10), 0, profile, 'gzip'),
    ]);
    expect(broker.requests).toHaveLength(3);
  });

  it('each caller gets its own offset, in send order per partition', async () => {
    const { broker, accumulator } = setup({ lingerMs: 1, batchSize: 300 });
    const sends = Array.from({ length: 200 }, (_, i) =>
      accumulator.append(record('t', 20, `r${i}`), i % 4, profile, 'none'),
    );
    const reports = await Promise.all(sends);
    reports.forEach((report, i) => {
      expect(report.eventId).toBe(`r${i}`);
      expect(broker.logs.get(`t/${report.partition}`)![Number(report.offset)]).toBe(`r${i}`);
    });
    for (let p = 0; p < 4; p++) {
      const ids = broker.logs.get(`t/${p}`)!.map((id) => Number(id.slice(1)));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    expect(broker.requests.length).toBeGreaterThan(1);
  });

  it('never has two requests in flight for one partition (order), while other partitions go on', async () => {
    const { broker, accumulator } = setup({ lingerMs: 0, maxInFlight: inFlight(5) });
    broker.hold = true;
    const first = accumulator.append(record('t', 10), 0, ack, 'none');
    await tick();
    const second = accumulator.append(record('t', 10), 0, ack, 'none');
    const other = accumulator.append(record('t', 10), 1, ack, 'none');
    await tick();
    expect(broker.requests).toEqual([
      [{ topic: 't', partition: 0, count: 1 }],
      [{ topic: 't', partition: 1, count: 1 }],
    ]);
    broker.release();
    await Promise.all([first, other]);
    broker.release();
    await second;
    expect(broker.requests[2]).toEqual([{ topic: 't', partition: 0, count: 1 }]);
  });

  it('an idempotent profile has at most 5 requests in flight, whatever maxInFlightRequests says', async () => {
    const { broker, accumulator } = setup({ lingerMs: 0, maxInFlight: inFlight(8) });
    broker.hold = true;
    const sends: Array<Promise<unknown>> = [];
    for (let p = 0; p < 7; p++) {
      sends.push(accumulator.append(record('t', 10), p, profile, 'none'));
      await tick();
    }
    // The sixth request waits: the records of partitions 5 and 6 join one once a slot frees.
    expect(broker.requests).toHaveLength(5);
    broker.release();
    await Promise.all(sends);
    expect(broker.requests[5].map((b) => b.partition)).toEqual([5, 6]);
  });

  it('holds at most maxInFlightRequests requests; meanwhile records fill bigger batches', async () => {
    const { broker, accumulator } = setup({
      lingerMs: 0,
      maxInFlight: inFlight(1),
      batchSize: 1 << 20,
    });
    broker.hold = true;
    const first = accumulator.append(record('t', 10), 0, profile, 'none');
    await tick();
    const rest = Array.from({ length: 30 }, () =>
      accumulator.append(record('t', 10), 0, profile, 'none'),
    );
    await tick();
    expect(broker.requests).toHaveLength(1);
    broker.release();
    await Promise.all([first, ...rest]);
    expect(broker.requests.map((r) => r[0].count)).toEqual([1, 30]);
  });

  it('flush() sends everything at once, ignoring linger', async () => {
    const { broker, accumulator } = setup({ lingerMs: 60_000, batchSize: 1 << 20 });
    const sends = Promise.all(
      Array.from({ length: 3 }, () => accumulator.append(record('t', 10), 0, profile, 'none')),
    );
    await accumulator.flush(sends);
    expect(broker.requests).toHaveLength(1);
  });

  it('fails batches that wait past the delivery timeout with DeliveryTimeoutError', async () => {
    const quick = resolveReliability({ acks: -1, deliveryTimeoutMs: 50 }, 0);
    const { broker, accumulator } = setup({ lingerMs: 0, maxInFlight: inFlight(1) });
    broker.hold = true;
    const stuck = accumulator.append(record('t', 10), 0, quick, 'none');
    await tick();
    const waiting = accumulator.append(record('t', 10), 0, quick, 'none');
    await expect(waiting).rejects.toBeInstanceOf(DeliveryTimeoutError);
    broker.release();
    await stuck;
    expect(accumulator.queuedRecords).toBe(0);
  });

  it('abort() fails what is queued and the callers waiting for memory', async () => {
    const { accumulator } = setup({ lingerMs: 60_000 }, 1000);
    const queued = accumulator.append(record('t', 500), 0, profile, 'none');
    const blocked = accumulator.append(record('t', 800), 0, profile, 'none');
    accumulator.abort(new Error('closing'));
    await expect(queued).rejects.toThrow('closing');
    await expect(blocked).rejects.toThrow('closing');
  });
});

describe('BufferMemory', () => {
  it('bounds the bytes held: a full buffer blocks send() up to maxBlockMs, then BufferExhaustedError', async () => {
    const { broker, buffer, accumulator } = setup({ lingerMs: 0 }, 1000, 100);
    broker.hold = true;
    const accepted = accumulator.append(record('t', 600), 0, profile, 'none');
    const started = Date.now();
    const blocked = accumulator.append(record('t', 600), 0, profile, 'none');
    await expect(blocked).rejects.toBeInstanceOf(BufferExhaustedError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(buffer.used).toBe(600 + RECORD_OVERHEAD_BYTES);
    broker.release();
    await accepted;
    await tick();
    expect(buffer.used).toBe(0);
  });

  it('wakes blocked callers in order once memory is given back', async () => {
    const { broker, buffer, accumulator } = setup({ lingerMs: 0 }, 1000, 5000);
    broker.hold = true;
    const first = accumulator.append(record('t', 800, 'a'), 0, profile, 'none');
    const second = accumulator.append(record('t', 800, 'b'), 0, profile, 'none');
    const third = accumulator.append(record('t', 100, 'c'), 0, profile, 'none');
    await sleep(20);
    expect(buffer.used).toBe(800 + RECORD_OVERHEAD_BYTES); // c waits behind b: FIFO
    broker.release();
    const reports = await Promise.all([first, second, third]);
    expect(reports.map((r) => r.eventId)).toEqual(['a', 'b', 'c']);
    expect(broker.logs.get('t/0')).toEqual(['a', 'b', 'c']);
  });

  it('refuses at once a record larger than the whole buffer', async () => {
    const { accumulator } = setup({}, 1000);
    await expect(accumulator.append(record('t', 5000), 0, profile, 'none')).rejects.toBeInstanceOf(
      RecordTooLargeError,
    );
  });

  it('drained() waits for every batch there is now (queued or in flight), not for later ones', async () => {
    const { broker, accumulator } = setup({ lingerMs: 0, maxInFlight: inFlight(1) });
    broker.hold = true;
    const before = accumulator.appends;
    const first = [0, 1, 2].map((i) =>
      accumulator.append(record('t', 10, `a${i}`), 0, ack, 'none'),
    );
    expect(accumulator.appends - before).toBe(3);
    await tick(); // the first request is in flight, held
    const second = accumulator.append(record('t', 10, 'b'), 1, ack, 'none');
    expect(accumulator.unfinishedRecords).toBe(4);
    let drained = false;
    const done = accumulator.drained().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    broker.release();
    await done;
    // Everything there was when drained() was called is settled by then.
    await expect(Promise.all(first)).resolves.toHaveLength(3);
    await expect(second).resolves.toMatchObject({ partition: 1, eventId: 'b' });
    expect(accumulator.unfinishedRecords).toBe(0);
    await expect(accumulator.drained()).resolves.toBeUndefined();
  });

  it('drained() also ends for batches dropped by abort()', async () => {
    const { accumulator } = setup({ lingerMs: 60_000 });
    const sent = accumulator.append(record('t', 10), 0, ack, 'none');
    const drained = accumulator.drained();
    accumulator.abort(new Error('closing'));
    await expect(sent).rejects.toThrow('closing');
    await expect(drained).resolves.toBeUndefined();
    expect(accumulator.unfinishedRecords).toBe(0);
  });
});

describe('RecordAccumulator.failQueued (the outbox fallback mode)', () => {
  /** Holds every request; the test fails or answers its batches by hand. */
  function holding() {
    const requests: Array<{ batches: ProducerBatch[]; done: () => void }> = [];
    const transmit = (batches: ProducerBatch[]) =>
      new Promise<void>((done) => requests.push({ batches, done }));
    const buffer = new BufferMemory(1 << 20, 1000);
    const accumulator = new RecordAccumulator(
      { lingerMs: 0, batchSize: 1000, maxInFlight: inFlight(5), maxRequestSize: 1 << 20 },
      buffer,
      transmit,
    );
    return { requests, buffer, accumulator };
  }
  const retriable = Object.assign(new Error('timed out'), { retriable: true });

  it('fails the batches queued for the partition at once, not the one in flight nor other partitions', async () => {
    const { requests, buffer, accumulator } = holding();
    const first = accumulator.append(record('t', 10, 'a'), 0, profile, 'none');
    await tick();
    expect(requests).toHaveLength(1);
    const queued = accumulator.append(record('t', 10, 'b'), 0, profile, 'none');
    const queuedToo = accumulator.append(record('t', 700, 'b2'), 0, ack, 'none');
    const other = accumulator.append(record('t', 10, 'c'), 1, profile, 'none');
    requests[0].batches[0].fail(retriable); // the delivery timeout, the client still busy
    accumulator.failQueued('t', 0, retriable);
    await expect(first).rejects.toBe(retriable);
    await expect(queued).rejects.toBe(retriable); // not held until the request is done
    await expect(queuedToo).rejects.toBe(retriable); // every profile's queue of the partition
    requests[0].done();
    await tick();
    for (const r of requests.slice(1)) {
      for (const b of r.batches) b.records.forEach((p) => p.resolve({} as never));
      r.done();
    }
    await expect(other).resolves.toBeDefined();
    await accumulator.drained();
    expect(buffer.used).toBe(0); // every batch's memory released once
  });

  it('abort fails every queued batch once', async () => {
    const { requests, buffer, accumulator } = holding();
    void accumulator.append(record('t', 10, 'a'), 0, profile, 'none').catch(() => undefined);
    await tick();
    const queued = [1, 2, 3].map((i) =>
      accumulator.append(record('t', 600, `q${i}`), 0, profile, 'none'),
    );
    accumulator.abort(retriable);
    for (const q of queued) await expect(q).rejects.toBe(retriable);
    requests[0].batches[0].fail(retriable);
    requests[0].done();
    await accumulator.drained();
    expect(buffer.used).toBe(0);
  });
});
