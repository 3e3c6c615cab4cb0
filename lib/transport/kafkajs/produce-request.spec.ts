import { createRequire } from 'node:module';
import type { Message } from 'kafkajs';
import type { OutgoingRecord } from '../../record/outgoing-record.js';
import { encodeProduceRequest, installProduceEncoder, standIns } from './produce-request.js';
import { slotKey } from '../../record/slot-key.js';
import { RecordBatch } from '../../protocol/record-batch.js';
import { SequenceBook } from './sequence-book.js';

const require = createRequire(import.meta.url);

type Args = Parameters<typeof encodeProduceRequest>[0];
interface KafkaJsRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse(): boolean;
  encode(): Promise<{ buffer: Buffer }>;
}
type Builder = (args: unknown) => { request: KafkaJsRequest; response: unknown };
const PRODUCE = 'kafkajs/src/protocol/requests/produce/index.js';
const produce = require(PRODUCE) as { protocol: (v: { version: number }) => Builder };
const kafkajsV3Request = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (
  args: unknown,
) => KafkaJsRequest;
const { lookup, requests } = require('kafkajs/src/protocol/requests/index.js');
const Long = require('kafkajs/src/utils/long.js');

const T = 1_700_000_000_000;

function record(i: number, timestamp: number, key: string | null = `k${i}`): OutgoingRecord {
  const k = key === null ? null : Buffer.from(key);
  const v = Buffer.from(`value ${i} ✓`);
  return {
    topic: 't',
    keyValue: key,
    key: k,
    value: v,
    headers: { 'h-ü': Buffer.from(String(i)), empty: Buffer.alloc(0) },
    timestamp,
    eventId: `e${i}`,
    size: (k?.length ?? 0) + v.length,
  };
}

/** The same records as kafkajs messages, for its own Produce request. */
const asMessages = (records: readonly OutgoingRecord[]): Message[] =>
  records.map((r) => ({
    key: r.key,
    value: r.value,
    headers: r.headers,
    timestamp: r.timestamp as never,
  }));

const ORDERS = [record(0, T + 30), record(1, T), record(2, T + 90, null)];
const PAYMENTS = [record(3, T + 5)];
const PAYMENTS_2 = [record(4, T + 1), record(5, T + 2), record(6, T)];

/**
 * A book for producer `producerId` / `epoch` whose request number 1 to each topic-partition
 * in `next` starts at the given sequence: its request 0 had that many records.
 */
function bookAt(producerId: bigint, epoch: number, next: Record<string, number>): SequenceBook {
  const book = new SequenceBook();
  for (const [slot, sequence] of Object.entries(next)) {
    expect(book.firstSequence(producerId, epoch, slot, 0, sequence)).toBe(0);
  }
  return book;
}

/**
 * Encodes a request of one partition (topic `t`) carrying `batch`, and reads back the
 * producer id, epoch and first sequence its record batch was sealed with.
 */
function sealedOne(
  batch: RecordBatch,
  request: {
    producerId: Parameters<typeof encodeProduceRequest>[0]['producerId'];
    producerEpoch: number;
    acks?: number;
    partition?: number;
    firstSequence: number | undefined;
    book?: SequenceBook;
  },
) {
  const { producerId, producerEpoch, acks = -1, partition = 0, firstSequence, book } = request;
  const buf = encodeProduceRequest({
    acks,
    timeout: 100,
    producerId,
    producerEpoch,
    topicData: [
      {
        topic: 't',
        partitions: [{ partition, firstSequence, messages: standIns(batch, partition, book) }],
      },
    ],
  });
  const recordSet = parse(buf).topics[0].partitions[0].recordSet;
  return {
    producerId: recordSet.readBigInt64BE(43),
    epoch: recordSet.readInt16BE(51),
    firstSequence: recordSet.readInt32BE(53),
  };
}

/** Reads the Produce v3 body by hand: returns its fields and the record sets. */
function parse(buf: Buffer) {
  let o = 0;
  const int16 = () => ((o += 2), buf.readInt16BE(o - 2));
  const int32 = () => ((o += 4), buf.readInt32BE(o - 4));
  const string = (length: number) => ((o += length), buf.toString('utf8', o - length, o));
  const idLength = int16();
  const transactionalId = idLength < 0 ? null : string(idLength);
  const acks = int16();
  const timeout = int32();
  const topics = Array.from({ length: int32() }, () => ({
    topic: string(int16()),
    partitions: Array.from({ length: int32() }, () => {
      const partition = int32();
      const length = int32();
      o += length;
      return { partition, recordSet: buf.subarray(o - length, o) };
    }),
  }));
  expect(o).toBe(buf.length);
  return { transactionalId, acks, timeout, topics };
}

describe('produce request', () => {
  it('stands in for a batch of any size with one message of its partition', async () => {
    const batch = await RecordBatch.encode(ORDERS);
    expect(batch.count).toBe(3);
    for (const book of [undefined, new SequenceBook()]) {
      const messages = standIns(batch, 4, book);
      expect(messages).toHaveLength(1);
      expect(messages[0].partition).toBe(4);
      // kafkajs refuses a message without a value.
      expect(Buffer.isBuffer(messages[0].value)).toBe(true);
    }
  });

  it('writes transactional id, acks, timeout, topics, partitions and each sealed batch', async () => {
    const orders = await RecordBatch.encode(ORDERS);
    const payments = await RecordBatch.encode(PAYMENTS);
    const payments2 = await RecordBatch.encode(PAYMENTS_2);
    const book = bookAt(77n, 2, {
      [slotKey('orders', 1)]: 12,
      [slotKey('payments-ü', 0)]: 3,
      [slotKey('payments-ü', 7)]: 0,
    });
    const args: Args = {
      acks: -1,
      timeout: 30_000,
      producerId: Long.fromValue(77),
      producerEpoch: 2,
      topicData: [
        {
          topic: 'orders',
          partitions: [{ partition: 1, firstSequence: 1, messages: standIns(orders, 1, book) }],
        },
        {
          topic: 'payments-ü',
          partitions: [
            { partition: 0, firstSequence: 1, messages: standIns(payments, 0, book) },
            { partition: 7, firstSequence: 1, messages: standIns(payments2, 7, book) },
          ],
        },
      ],
    };
    const buf = encodeProduceRequest(args);
    expect(buf.readInt16BE(0)).toBe(-1);
    const parsed = parse(buf);
    expect(parsed.transactionalId).toBeNull();
    expect(parsed.acks).toBe(-1);
    expect(parsed.timeout).toBe(30_000);
    expect(parsed.topics.map((t) => [t.topic, t.partitions.map((p) => p.partition)])).toEqual([
      ['orders', [1]],
      ['payments-ü', [0, 7]],
    ]);
    const [[o1], [p0, p7]] = parsed.topics.map((t) => t.partitions.map((p) => p.recordSet));
    expect(o1).toEqual(Buffer.from(orders.seal(77n, 2, 12)));
    expect(p0).toEqual(Buffer.from(payments.seal(77n, 2, 3)));
    expect(p7).toEqual(Buffer.from(payments2.seal(77n, 2, 0)));
    expect(o1.readBigInt64BE(43)).toBe(77n);
    expect(o1.readInt16BE(51)).toBe(2);
    expect(o1.readInt32BE(53)).toBe(12);
    expect(o1.readInt16BE(21) & 0x10).toBe(0);
  });

  it("has kafkajs's Produce v3 layout, differing only in each batch's partition leader epoch", async () => {
    const orders = await RecordBatch.encode(ORDERS);
    const payments = await RecordBatch.encode(PAYMENTS_2);
    for (const transactionalId of [null, 'tx-ünïcode']) {
      const common = {
        acks: 1,
        timeout: 1_500,
        transactionalId,
        producerId: Long.fromValue(9),
        producerEpoch: 4,
      };
      // kafkajs numbers our request 1; the book makes that the sequences kafkajs's own
      // request of these records carries (firstSequence 5 and 8).
      const book = bookAt(9n, 4, { [slotKey('orders', 2)]: 5, [slotKey('payments', 0)]: 8 });
      const ours = encodeProduceRequest({
        ...common,
        topicData: [
          {
            topic: 'orders',
            partitions: [{ partition: 2, firstSequence: 1, messages: standIns(orders, 2, book) }],
          },
          {
            topic: 'payments',
            partitions: [{ partition: 0, firstSequence: 1, messages: standIns(payments, 0, book) }],
          },
        ],
      });
      const theirs = (
        await kafkajsV3Request({
          ...common,
          topicData: [
            {
              topic: 'orders',
              partitions: [{ partition: 2, firstSequence: 5, messages: asMessages(ORDERS) }],
            },
            {
              topic: 'payments',
              partitions: [{ partition: 0, firstSequence: 8, messages: asMessages(PAYMENTS_2) }],
            },
          ],
        }).encode()
      ).buffer;
      const a = parse(ours);
      const b = parse(theirs);
      expect(a.transactionalId).toBe(transactionalId);
      expect({ ...a, topics: undefined }).toEqual({ ...b, topics: undefined });
      expect(a.topics.length).toBe(b.topics.length);
      a.topics.forEach((topic, t) => {
        expect(topic.topic).toBe(b.topics[t].topic);
        topic.partitions.forEach(({ partition, recordSet }, p) => {
          const other = b.topics[t].partitions[p].recordSet;
          expect(partition).toBe(b.topics[t].partitions[p].partition);
          // The sequence our book gave is the one kafkajs wrote (compared below too).
          expect(recordSet.readInt32BE(53)).toBe([5, 8][t]);
          expect(recordSet.readInt32BE(12)).toBe(-1);
          expect(other.readInt32BE(12)).toBe(0);
          expect(recordSet.readInt16BE(21) & 0x10).toBe(transactionalId === null ? 0 : 0x10);
          // Everything else, the CRC over attributes … records included, is identical.
          expect(Buffer.concat([recordSet.subarray(0, 12), recordSet.subarray(16)])).toEqual(
            Buffer.concat([other.subarray(0, 12), other.subarray(16)]),
          );
        });
      });
      expect(ours.length).toBe(theirs.length);
    }
  });

  it('writes producer epoch and sequence -1 without a producer id, as Kafka clients do', async () => {
    const batch = await RecordBatch.encode(ORDERS);
    for (const producerId of [-1, undefined, -1n, Long.fromValue(-1)]) {
      // No book needed; one that is there is not asked (a first request 6 would throw).
      for (const book of [undefined, new SequenceBook()]) {
        const sealed = sealedOne(batch, {
          acks: 1,
          producerId,
          producerEpoch: 0,
          firstSequence: 6,
          book,
        });
        expect(sealed).toEqual({ producerId: -1n, epoch: -1, firstSequence: -1 });
      }
    }
  });

  it("takes the producer id as kafkajs's eosManager holds it: a decimal string, beyond 2^53 too", async () => {
    const batch = await RecordBatch.encode(PAYMENTS);
    // InitProducerId's response decoder gives `readInt64().toString()`.
    const producerId = '9007199254740993' as unknown as bigint;
    // The book knows the producer as 9007199254740993n: request 1 follows its request 0.
    const book = bookAt(9007199254740993n, 0, { [slotKey('t', 0)]: 1 });
    expect(sealedOne(batch, { producerId, producerEpoch: 0, firstSequence: 1, book })).toEqual({
      producerId: 9007199254740993n,
      epoch: 0,
      firstSequence: 1,
    });
  });

  it("takes each batch's first sequence from the book, by kafkajs's request number", async () => {
    const batches = await Promise.all(
      [ORDERS, PAYMENTS, PAYMENTS_2].map((r) => RecordBatch.encode(r)),
    );
    const book = new SequenceBook();
    const send = (batch: RecordBatch, request: number | undefined, epoch = 0) =>
      sealedOne(batch, {
        producerId: 5,
        producerEpoch: epoch,
        partition: 2,
        firstSequence: request,
        book,
      }).firstSequence;
    const [three, one, threeMore] = batches;
    // A partition without a request number counts as request 0.
    expect(send(three, undefined)).toBe(0);
    expect(send(one, 1)).toBe(3);
    // Request 2 refused and replaced by a batch of another size: the same first sequence.
    expect(send(threeMore, 2)).toBe(4);
    expect(send(one, 2)).toBe(4);
    expect(send(three, 3)).toBe(5);
    expect(() => send(three, 5)).toThrow('kafkajs numbered request 5 after 3');
    // A new epoch starts over.
    expect(send(one, 0, 1)).toBe(0);
  });

  it('throws when a partition is not exactly one encoded batch', async () => {
    const batch = await RecordBatch.encode(ORDERS);
    const other = await RecordBatch.encode(PAYMENTS);
    const args = (messages: Message[]): Args => ({
      acks: 1,
      timeout: 100,
      topicData: [{ topic: 'orders', partitions: [{ partition: 3, messages }] }],
    });
    const refused = 'partition 3 of orders is not one encoded batch';
    expect(() => encodeProduceRequest(args([]))).toThrow(refused);
    // kafkajs put the stand-ins of two batches in one partition: of the same or another.
    expect(() =>
      encodeProduceRequest(args([...standIns(batch, 3), ...standIns(batch, 3)])),
    ).toThrow(refused);
    expect(() =>
      encodeProduceRequest(args([...standIns(batch, 3), ...standIns(other, 3)])),
    ).toThrow(refused);
    // Plain kafkajs messages, alone or after a stand-in.
    expect(() => encodeProduceRequest(args(asMessages(ORDERS)))).toThrow(refused);
    expect(() =>
      encodeProduceRequest(args([...standIns(batch, 3), ...asMessages(ORDERS)])),
    ).toThrow(refused);
  });

  it('throws for an idempotent request whose stand-in has no sequence book', async () => {
    const batch = await RecordBatch.encode(ORDERS);
    expect(() =>
      encodeProduceRequest({
        acks: -1,
        timeout: 100,
        producerId: Long.fromValue(12),
        producerEpoch: 0,
        topicData: [
          {
            topic: 'orders',
            partitions: [{ partition: 3, firstSequence: 0, messages: standIns(batch, 3) }],
          },
        ],
      }),
    ).toThrow('no sequence numbers for orders/3');
  });

  describe('installProduceEncoder', () => {
    const original = produce.protocol;
    beforeAll(() => installProduceEncoder());

    /** kafkajs's request 1 to orders/5, which the book starts at sequence 40. */
    const ownArgs = async (acks = -1) => {
      const batch = await RecordBatch.encode(ORDERS);
      const book = bookAt(123n, 1, { [slotKey('orders', 5)]: 40 });
      return {
        acks,
        timeout: 30_000,
        transactionalId: 'tx',
        producerId: Long.fromValue(123),
        producerEpoch: 1,
        topicData: [
          {
            topic: 'orders',
            partitions: [{ partition: 5, firstSequence: 1, messages: standIns(batch, 5, book) }],
          },
        ],
      } satisfies Args;
    };

    it('wraps the Produce definition once, however often it is called', () => {
      expect(produce.protocol).not.toBe(original);
      const wrapped = produce.protocol;
      installProduceEncoder();
      expect(produce.protocol).toBe(wrapped);
      expect(produce.protocol({ version: 3 })).toBe(produce.protocol({ version: 3 }));
    });

    it('encodes a request built from stand-ins as encodeProduceRequest, for v3 to v7', async () => {
      const args = await ownArgs();
      const expected = Buffer.from(encodeProduceRequest(args));
      expect(parse(expected).topics[0].partitions[0].recordSet.readInt32BE(53)).toBe(40);
      // Each encoding asks the book again for request 1: the same sequence.
      for (const version of [3, 4, 5, 6, 7]) {
        const { request, response } = produce.protocol({ version })(args);
        expect(await request.encode()).toMatchObject({ buffer: expected, offset: expected.length });
        // The rest is kafkajs's own: api key, version, name, response decoder.
        const own = original({ version })(args);
        expect(request).toMatchObject({ apiKey: 0, apiVersion: version, apiName: 'Produce' });
        expect(request.expectResponse()).toBe(true);
        expect(response).toBe(own.response);
      }
      const noAcks = produce.protocol({ version: 3 })(await ownArgs(0)).request;
      expect(noAcks.expectResponse()).toBe(false);
    });

    it("is what kafkajs's request lookup (Broker.produce) hands out", async () => {
      const args = await ownArgs();
      const builder = lookup({ 0: { minVersion: 0, maxVersion: 9 } })(
        0,
        requests.Produce,
      ) as Builder;
      const { request } = builder(args);
      expect(request.apiVersion).toBe(7);
      expect((await request.encode()).buffer).toEqual(encodeProduceRequest(args));
    });

    it('refuses to write record batches in a Produce request older than v3', async () => {
      const args = await ownArgs();
      await expect(produce.protocol({ version: 2 })(args).request.encode()).rejects.toThrow(
        'the broker only takes Produce v2; record batches need v3',
      );
    });

    it("leaves requests of ordinary kafkajs messages to kafkajs's own encoder", async () => {
      const args = {
        acks: -1,
        timeout: 30_000,
        producerId: Long.fromValue(7),
        producerEpoch: 0,
        topicData: [
          {
            topic: 'orders',
            partitions: [
              { partition: 0, firstSequence: 1, messages: asMessages(ORDERS) },
              {
                partition: 1,
                firstSequence: 0,
                messages: [{ value: Buffer.from('plain'), timestamp: String(T) }],
              },
            ],
          },
        ],
      };
      const wrapped = await produce.protocol({ version: 3 })(args).request.encode();
      const own = await kafkajsV3Request(args).encode();
      expect(wrapped.buffer).toEqual(own.buffer);
      // kafkajs's partition leader epoch 0: its own batch, not one of ours.
      expect(parse(wrapped.buffer).topics[0].partitions[0].recordSet.readInt32BE(12)).toBe(0);
    });
  });
});
