import { createRequire } from 'node:module';
import type { OutgoingRecord } from '../../record/outgoing-record.js';
import { encodeProduceRequest, standIns } from './produce-request.js';
import { slotKey } from '../../record/slot-key.js';
import { RecordBatch } from '../../protocol/record-batch.js';
import { incrementSequence, SequenceBook } from './sequence-book.js';

const require = createRequire(import.meta.url);

const MAX = 0x7fffffff;

describe('incrementSequence', () => {
  it('adds up to 2^31-1', () => {
    expect(incrementSequence(0, 0)).toBe(0);
    expect(incrementSequence(0, 1)).toBe(1);
    expect(incrementSequence(40, 3)).toBe(43);
    expect(incrementSequence(MAX - 5, 5)).toBe(MAX);
    expect(incrementSequence(0, MAX)).toBe(MAX);
  });

  it("wraps past 2^31-1 to 0, as Java's DefaultRecordBatch.incrementSequence does", () => {
    expect(incrementSequence(MAX, 1)).toBe(0);
    expect(incrementSequence(0x7ffffffe, 5)).toBe(3);
    expect(incrementSequence(MAX, MAX)).toBe(MAX - 1);
    expect(incrementSequence(1, MAX)).toBe(0);
  });

  it('is (base + increment) mod 2^31 for any base and increment in 0 … 2^31-1', () => {
    const values = [0, 1, 2, 7, 1000, 2 ** 30, MAX - 1000, MAX - 7, MAX - 2, MAX - 1, MAX];
    for (const base of values) {
      for (const increment of values) {
        expect(incrementSequence(base, increment)).toBe((base + increment) % 2 ** 31);
      }
    }
  });
});

describe('SequenceBook', () => {
  const A = slotKey('orders', 0);

  it("numbers each request after the previous one's records, from 0", () => {
    const book = new SequenceBook();
    expect(book.firstSequence(7n, 0, A, 0, 3)).toBe(0);
    expect(book.firstSequence(7n, 0, A, 1, 1)).toBe(3);
    expect(book.firstSequence(7n, 0, A, 2, 5)).toBe(4);
    expect(book.firstSequence(7n, 0, A, 3, 2)).toBe(9);
    expect(book.firstSequence(7n, 0, A, 4, 1)).toBe(11);
  });

  it('gives the same request number the same first sequence and takes its new count', () => {
    const book = new SequenceBook();
    // The first request refused, then replaced by a batch of 5 records.
    expect(book.firstSequence(7n, 0, A, 0, 3)).toBe(0);
    expect(book.firstSequence(7n, 0, A, 0, 5)).toBe(0);
    expect(book.firstSequence(7n, 0, A, 1, 4)).toBe(5);
    // Request 2 retried as it was, then replaced by one of 2 records, then of 1.
    expect(book.firstSequence(7n, 0, A, 2, 6)).toBe(9);
    expect(book.firstSequence(7n, 0, A, 2, 6)).toBe(9);
    expect(book.firstSequence(7n, 0, A, 2, 2)).toBe(9);
    expect(book.firstSequence(7n, 0, A, 2, 1)).toBe(9);
    expect(book.firstSequence(7n, 0, A, 3, 1)).toBe(10);
  });

  it('wraps record sequence numbers past 2^31-1 to 0, as Java does', () => {
    const book = new SequenceBook();
    expect(book.firstSequence(7n, 0, A, 0, MAX - 2)).toBe(0);
    expect(book.firstSequence(7n, 0, A, 1, 5)).toBe(MAX - 2);
    // MAX-2, MAX-1, MAX, 0, 1: the next starts at 2.
    expect(book.firstSequence(7n, 0, A, 2, 1)).toBe(2);

    const exact = new SequenceBook();
    expect(exact.firstSequence(7n, 0, A, 0, MAX)).toBe(0);
    expect(exact.firstSequence(7n, 0, A, 1, 1)).toBe(MAX);
    expect(exact.firstSequence(7n, 0, A, 2, 1)).toBe(0);
  });

  it('keeps each topic-partition apart', () => {
    const book = new SequenceBook();
    const B = slotKey('orders', 1);
    const C = slotKey('payments', 0);
    expect(book.firstSequence(7n, 0, A, 0, 3)).toBe(0);
    expect(book.firstSequence(7n, 0, B, 0, 2)).toBe(0);
    expect(book.firstSequence(7n, 0, A, 1, 4)).toBe(3);
    expect(book.firstSequence(7n, 0, C, 0, 1)).toBe(0);
    expect(book.firstSequence(7n, 0, B, 1, 1)).toBe(2);
    expect(book.firstSequence(7n, 0, A, 1, 2)).toBe(3);
    expect(book.firstSequence(7n, 0, C, 1, 1)).toBe(1);
    expect(book.firstSequence(7n, 0, A, 2, 1)).toBe(5);
    expect(book.firstSequence(7n, 0, B, 2, 1)).toBe(3);
  });

  it('starts every topic-partition from 0 for a new producer id or epoch', () => {
    const book = new SequenceBook();
    const B = slotKey('orders', 1);
    expect(book.firstSequence(7n, 0, A, 0, 3)).toBe(0);
    expect(book.firstSequence(7n, 0, B, 0, 2)).toBe(0);
    expect(book.firstSequence(7n, 0, A, 1, 4)).toBe(3);
    // A new epoch: kafkajs numbers from 0 again, and so does the book, in every partition.
    expect(book.firstSequence(7n, 1, A, 0, 1)).toBe(0);
    expect(() => book.firstSequence(7n, 1, B, 1, 1)).toThrow(
      `${B}: kafkajs numbered a first request 1`,
    );
    expect(book.firstSequence(7n, 1, B, 0, 1)).toBe(0);
    expect(book.firstSequence(7n, 1, A, 1, 1)).toBe(1);
    // A new producer id (even with the old epoch), and back to the first one: both new.
    expect(book.firstSequence(8n, 1, A, 0, 6)).toBe(0);
    expect(book.firstSequence(8n, 1, A, 1, 1)).toBe(6);
    expect(book.firstSequence(7n, 1, A, 0, 2)).toBe(0);
    expect(book.firstSequence(7n, 1, A, 1, 1)).toBe(2);
  });

  it('throws for a first request other than 0 and request numbers that skip or go back', () => {
    const book = new SequenceBook();
    expect(() => book.firstSequence(7n, 0, A, 1, 3)).toThrow(
      `${A}: kafkajs numbered a first request 1`,
    );
    expect(book.firstSequence(7n, 0, A, 0, 3)).toBe(0);
    expect(() => book.firstSequence(7n, 0, A, 2, 1)).toThrow(
      `${A}: kafkajs numbered request 2 after 0`,
    );
    expect(book.firstSequence(7n, 0, A, 1, 2)).toBe(3);
    expect(book.firstSequence(7n, 0, A, 2, 2)).toBe(5);
    expect(() => book.firstSequence(7n, 0, A, 1, 1)).toThrow(
      `${A}: kafkajs numbered request 1 after 2`,
    );
    expect(() => book.firstSequence(7n, 0, A, 0, 1)).toThrow(
      `${A}: kafkajs numbered request 0 after 2`,
    );
    // -1 is kafkajs's alias of 2^31-2 (a failure right after its counter rotated).
    expect(() => book.firstSequence(7n, 0, A, -1, 1)).toThrow(
      `${A}: kafkajs numbered request 2147483646 after 2`,
    );
    // What threw changed nothing: request 3 follows request 2's two records.
    expect(book.firstSequence(7n, 0, A, 3, 1)).toBe(7);
  });
});

/** The part of kafkajs's EosManager (kafkajs/src/producer/eosManager) that sendMessages uses. */
interface EosManager {
  initProducerId(): Promise<void>;
  getProducerId(): string;
  getProducerEpoch(): number;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
}
const createEosManager = require('kafkajs/src/producer/eosManager/index.js') as (options: {
  logger: Record<'debug' | 'info' | 'warn' | 'error', () => void>;
  cluster: unknown;
  transactional: boolean;
}) => EosManager;

/** kafkajs's own idempotent eosManager, over a cluster that hands out producer ids. */
async function idempotentEosManager(): Promise<EosManager> {
  let epoch = 0;
  const noop = () => undefined;
  const broker = {
    // InitProducerId's response decoder gives the id as a decimal string.
    initProducerId: () =>
      Promise.resolve({ producerId: '9007199254740993', producerEpoch: epoch++ }),
  };
  const eos = createEosManager({
    logger: { debug: noop, info: noop, warn: noop, error: noop },
    cluster: {
      retry: { retries: 0 },
      refreshMetadataIfNecessary: () => Promise.resolve(),
      findControllerBroker: () => Promise.resolve(broker),
    },
    transactional: false,
  });
  await eos.initProducerId();
  return eos;
}

const records = (count: number): OutgoingRecord[] =>
  Array.from({ length: count }, (_, i) => {
    const value = Buffer.from(`value ${i}`);
    return {
      topic: 't',
      keyValue: null,
      key: null,
      value,
      headers: {},
      timestamp: 1_700_000_000_000 + i,
      eventId: `e${i}`,
      size: value.length,
    };
  });

/** Each record set's first sequence in a Produce v3 request, by topic-partition. */
function firstSequences(buf: Buffer): Map<string, number> {
  const sequences = new Map<string, number>();
  let o = 2 + Math.max(0, buf.readInt16BE(0)) + 2 + 4;
  const topics = buf.readInt32BE(o);
  o += 4;
  for (let t = 0; t < topics; t++) {
    const length = buf.readInt16BE(o);
    const topic = buf.toString('utf8', o + 2, o + 2 + length);
    o += 2 + length;
    const partitions = buf.readInt32BE(o);
    o += 4;
    for (let p = 0; p < partitions; p++) {
      const partition = buf.readInt32BE(o);
      const size = buf.readInt32BE(o + 4);
      sequences.set(slotKey(topic, partition), buf.readInt32BE(o + 8 + 53));
      o += 8 + size;
    }
  }
  expect(o).toBe(buf.length);
  return sequences;
}

/**
 * How a Produce request ends: written; refused by the broker after it was encoded (or
 * lost on the way); or failed before it was encoded (no connection).
 */
type Outcome = 'written' | 'refused' | 'unsent';

/**
 * One Produce request as kafkajs's sendMessages makes it: each partition's stand-ins
 * numbered by `getSequence` and counted with `updateSequence`, and counted back when the
 * request fails. Returns the first sequence of each batch it encoded.
 */
async function produce(
  eos: EosManager,
  book: SequenceBook,
  batches: Array<[topic: string, partition: number, count: number]>,
  outcome: Outcome,
): Promise<Map<string, number>> {
  const topicData = new Map<
    string,
    Array<{ partition: number; firstSequence: number; messages: ReturnType<typeof standIns> }>
  >();
  for (const [topic, partition, count] of batches) {
    const messages = standIns(await RecordBatch.encode(records(count)), partition, book);
    const firstSequence = eos.getSequence(topic, partition);
    eos.updateSequence(topic, partition, messages.length);
    let partitions = topicData.get(topic);
    if (!partitions) topicData.set(topic, (partitions = []));
    partitions.push({ partition, firstSequence, messages });
  }
  let sequences = new Map<string, number>();
  try {
    if (outcome === 'unsent') throw new Error('connection refused');
    const buf = encodeProduceRequest({
      acks: -1,
      timeout: 100,
      producerId: eos.getProducerId(),
      producerEpoch: eos.getProducerEpoch(),
      topicData: [...topicData].map(([topic, partitions]) => ({ topic, partitions })),
    });
    sequences = firstSequences(buf);
    if (outcome === 'refused') throw new Error('NOT_LEADER_FOR_PARTITION');
  } catch {
    for (const [topic, partitions] of topicData) {
      for (const { partition, messages } of partitions) {
        eos.updateSequence(topic, partition, -messages.length);
      }
    }
  }
  return sequences;
}

describe("SequenceBook with kafkajs's eosManager", () => {
  /** The records written so far to each topic-partition, which the broker's sequence follows. */
  class Broker {
    private readonly written = new Map<string, number>();

    async send(
      eos: EosManager,
      book: SequenceBook,
      batches: Array<[topic: string, partition: number, count: number]>,
      outcome: Outcome,
    ): Promise<void> {
      const sequences = await produce(eos, book, batches, outcome);
      if (outcome === 'unsent') expect(sequences.size).toBe(0);
      else {
        const expected = batches.map(([t, p]) => [
          slotKey(t, p),
          this.written.get(slotKey(t, p)) ?? 0,
        ]);
        expect(sequences).toEqual(new Map(expected as Array<[string, number]>));
      }
      if (outcome !== 'written') return;
      for (const [t, p, count] of batches) {
        this.written.set(slotKey(t, p), (this.written.get(slotKey(t, p)) ?? 0) + count);
      }
    }

    /** A new producer id or epoch: the broker expects sequence 0 again. */
    reset() {
      this.written.clear();
    }
  }

  it("turns kafkajs's request numbers into the record counts of the requests written", async () => {
    const eos = await idempotentEosManager();
    const book = new SequenceBook();
    const broker = new Broker();
    type Step = [Array<[string, number, number]>, Outcome];
    const run = async (steps: Step[]) => {
      for (const [batches, outcome] of steps) await broker.send(eos, book, batches, outcome);
    };
    await run([
      [
        [
          ['orders', 0, 3],
          ['orders', 1, 2],
          ['payments', 0, 1],
        ],
        'written',
      ],
      [
        [
          ['orders', 0, 4],
          ['payments', 0, 2],
        ],
        'refused',
      ],
      // The refused orders/0 batch replaced by one of 5 records; payments/0's sent again.
      [
        [
          ['orders', 0, 5],
          ['payments', 0, 2],
        ],
        'written',
      ],
      [[['orders', 1, 7]], 'unsent'],
      [
        [
          ['orders', 1, 1],
          ['orders', 0, 1],
        ],
        'written',
      ],
      [[['orders', 0, 2]], 'refused'],
      [[['orders', 0, 3]], 'refused'],
      [[['orders', 0, 3]], 'unsent'],
      [[['orders', 0, 2]], 'written'],
      [
        [
          ['orders', 0, 1],
          ['payments', 0, 1],
        ],
        'written',
      ],
    ]);
    // InitProducerId again (a new epoch): kafkajs and the book start over.
    await eos.initProducerId();
    expect(eos.getProducerEpoch()).toBe(1);
    broker.reset();
    await run([
      [[['payments', 0, 2]], 'refused'],
      [
        [
          ['orders', 0, 4],
          ['payments', 0, 1],
        ],
        'written',
      ],
      [
        [
          ['orders', 0, 1],
          ['orders', 1, 6],
        ],
        'written',
      ],
    ]);
  });

  it('does so for any run of written, refused and unsent requests', async () => {
    // A fixed pseudo-random run (mulberry32), so that a failure can be replayed.
    let seed = 0x5eed;
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
    };
    const partitions: Array<[string, number]> = [
      ['orders', 0],
      ['orders', 1],
      ['payments', 0],
      ['payments', 3],
    ];
    const outcomes: Outcome[] = ['written', 'written', 'written', 'refused', 'refused', 'unsent'];
    const eos = await idempotentEosManager();
    const book = new SequenceBook();
    const broker = new Broker();
    for (let i = 1; i <= 400; i++) {
      if (i % 150 === 0) {
        await eos.initProducerId();
        broker.reset();
      }
      const batches = partitions
        .filter(() => random(2) === 1)
        .map(([t, p]): [string, number, number] => [t, p, 1 + random(4)]);
      if (batches.length === 0) continue;
      await broker.send(eos, book, batches, outcomes[random(outcomes.length)]);
    }
    expect(eos.getProducerEpoch()).toBe(2);
  });

  it('follows kafkajs past its rotation: 2^31-2, then 0; a failure there comes back as -1', () => {
    const book = new SequenceBook();
    const slot = 't\u00000';
    book.firstSequence(1n, 0, slot, 0, 1);
    // White-box: the state after request 2^31-2 (too many to make here) of 3 records, first 40.
    (book as unknown as { partitions: Map<string, object> }).partitions.set(slot, {
      request: MAX - 1,
      first: 40,
      count: 3,
    });
    // It failed: kafkajs rotated its counter to 0 before sending, and back to -1 after.
    expect(book.firstSequence(1n, 0, slot, -1, 3)).toBe(40);
    // It went through the second time: kafkajs's counter is 0, the next request's number.
    expect(book.firstSequence(1n, 0, slot, 0, 2)).toBe(43);
    expect(book.firstSequence(1n, 0, slot, 1, 4)).toBe(45);
  });

  it('is handed request numbers 0 … 2^31-2, then 0 (and -1 if that request fails)', async () => {
    // kafkajs's updateSequence turns 2^31-1 into 0: the request number SequenceBook meets
    // after 2^31-1 requests to one partition, where it expects 2^31-1.
    const eos = await idempotentEosManager();
    eos.updateSequence('t', 0, MAX - 1);
    expect(eos.getSequence('t', 0)).toBe(MAX - 1);
    eos.updateSequence('t', 0, 1);
    expect(eos.getSequence('t', 0)).toBe(0);
    eos.updateSequence('t', 0, -1);
    expect(eos.getSequence('t', 0)).toBe(-1);
  });
});
