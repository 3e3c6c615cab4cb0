import { createRequire } from 'node:module';
import type { Message } from 'kafkajs';
import type { OutgoingRecord } from '../../record/outgoing-record.js';
import { RecordBatch } from '../../protocol/record-batch.js';
import {
  encodeProduceRequest,
  installProduceEncoder,
  standIn,
  type ProduceAnswer,
} from './produce-request.js';

const require = createRequire(import.meta.url);

type Args = Parameters<typeof encodeProduceRequest>[0];
interface KafkaJsRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse(): boolean;
  encode(): Promise<{ buffer: Buffer; offset: number }>;
}
interface KafkaJsResponse {
  decode(data: Buffer): Promise<unknown>;
  parse(data: unknown): Promise<unknown>;
}
type Builder = (args: unknown) => { request: KafkaJsRequest; response: KafkaJsResponse };
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

/** The header fields the transport seals a batch with, read back from its bytes. */
const header = (recordSet: Buffer) => ({
  producerId: recordSet.readBigInt64BE(43),
  epoch: recordSet.readInt16BE(51),
  firstSequence: recordSet.readInt32BE(53),
  count: recordSet.readInt32BE(57),
});

/** One partition's answer in a Produce response, as a broker writes it. */
interface PartitionAnswer {
  partition: number;
  errorCode: number;
  baseOffset: bigint;
}

/**
 * A Produce response body of `version` (3 to 7) as a broker writes it: per topic and
 * partition the error code, base offset, log append time (and from v5 the log start offset),
 * then the throttle time.
 */
function responseBody(
  version: number,
  topics: Array<{ topic: string; partitions: PartitionAnswer[] }>,
): Buffer {
  const parts: Buffer[] = [];
  const int16 = (n: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    parts.push(b);
  };
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    parts.push(b);
  };
  const int64 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    parts.push(b);
  };
  int32(topics.length);
  for (const { topic, partitions } of topics) {
    int16(Buffer.byteLength(topic));
    parts.push(Buffer.from(topic, 'utf8'));
    int32(partitions.length);
    for (const { partition, errorCode, baseOffset } of partitions) {
      int32(partition);
      int16(errorCode);
      int64(baseOffset);
      int64(-1n); // log append time: none (CreateTime topics)
      if (version >= 5) int64(0n); // log start offset
    }
  }
  int32(0); // throttle time
  return Buffer.concat(parts);
}

describe('produce request', () => {
  it('stands in for a sealed batch of any size with one message of its partition', async () => {
    const batch = await RecordBatch.encode(ORDERS);
    expect(batch.count).toBe(3);
    const message = standIn(batch.seal(-1n, -1, -1), 4);
    expect(message.partition).toBe(4);
    // kafkajs refuses a message without a value.
    expect(Buffer.isBuffer(message.value)).toBe(true);
  });

  it('writes transactional id, acks, timeout, topics, partitions and each sealed batch verbatim', async () => {
    const orders = await RecordBatch.encode(ORDERS);
    const payments = await RecordBatch.encode(PAYMENTS);
    const payments2 = await RecordBatch.encode(PAYMENTS_2);
    const sealedOrders = Buffer.from(orders.seal(77n, 2, 12));
    const sealedPayments = Buffer.from(payments.seal(77n, 2, 3));
    const sealedPayments2 = Buffer.from(payments2.seal(78n, 0, 0));
    for (const transactionalId of [undefined, null, 'tx-ünïcode']) {
      const buf = encodeProduceRequest({
        acks: -1,
        timeout: 30_000,
        transactionalId,
        topicData: [
          { topic: 'orders', partitions: [{ partition: 1, messages: [standIn(sealedOrders, 1)] }] },
          {
            topic: 'payments-ü',
            partitions: [
              { partition: 0, messages: [standIn(sealedPayments, 0)] },
              { partition: 7, messages: [standIn(sealedPayments2, 7)] },
            ],
          },
        ],
      });
      if (transactionalId === 'tx-ünïcode') {
        expect(buf.readInt16BE(0)).toBe(Buffer.byteLength(transactionalId));
      } else {
        expect(buf.readInt16BE(0)).toBe(-1);
      }
      const parsed = parse(buf);
      expect(parsed.transactionalId).toBe(transactionalId ?? null);
      expect(parsed.acks).toBe(-1);
      expect(parsed.timeout).toBe(30_000);
      expect(parsed.topics.map((t) => [t.topic, t.partitions.map((p) => p.partition)])).toEqual([
        ['orders', [1]],
        ['payments-ü', [0, 7]],
      ]);
      const [[o1], [p0, p7]] = parsed.topics.map((t) => t.partitions.map((p) => p.recordSet));
      expect(o1).toEqual(sealedOrders);
      expect(p0).toEqual(sealedPayments);
      expect(p7).toEqual(sealedPayments2);
      expect(header(o1)).toEqual({ producerId: 77n, epoch: 2, firstSequence: 12, count: 3 });
      expect(header(p7)).toEqual({ producerId: 78n, epoch: 0, firstSequence: 0, count: 3 });
    }
  });

  it('writes acks 0 and 1 and the timeout as given', async () => {
    const sealed = (await RecordBatch.encode(PAYMENTS)).seal(-1n, -1, -1);
    for (const [acks, timeout] of [
      [0, 1],
      [1, 2_147_483_647],
    ]) {
      const parsed = parse(
        encodeProduceRequest({
          acks,
          timeout,
          topicData: [
            { topic: 't', partitions: [{ partition: 0, messages: [standIn(sealed, 0)] }] },
          ],
        }),
      );
      expect([parsed.acks, parsed.timeout]).toEqual([acks, timeout]);
      expect(header(parsed.topics[0].partitions[0].recordSet)).toEqual({
        producerId: -1n,
        epoch: -1,
        firstSequence: -1,
        count: 1,
      });
    }
  });

  it("has kafkajs's Produce v3 layout, differing only in each batch's partition leader epoch", async () => {
    const orders = await RecordBatch.encode(ORDERS);
    const payments = await RecordBatch.encode(PAYMENTS_2);
    for (const transactionalId of [null, 'tx-ünïcode']) {
      const transactional = transactionalId !== null;
      const common = { acks: 1, timeout: 1_500, transactionalId };
      const ours = encodeProduceRequest({
        ...common,
        topicData: [
          {
            topic: 'orders',
            partitions: [
              { partition: 2, messages: [standIn(orders.seal(9n, 4, 5, transactional), 2)] },
            ],
          },
          {
            topic: 'payments',
            partitions: [
              { partition: 0, messages: [standIn(payments.seal(9n, 4, 8, transactional), 0)] },
            ],
          },
        ],
      });
      const theirs = (
        await kafkajsV3Request({
          ...common,
          producerId: Long.fromValue(9),
          producerEpoch: 4,
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
        expect(topic.partitions.length).toBe(b.topics[t].partitions.length);
        topic.partitions.forEach(({ partition, recordSet }, p) => {
          const other = b.topics[t].partitions[p].recordSet;
          expect(partition).toBe(b.topics[t].partitions[p].partition);
          expect(header(recordSet)).toEqual(header(other));
          expect(recordSet.readInt32BE(53)).toBe([5, 8][t]);
          expect(recordSet.readInt32BE(12)).toBe(-1);
          expect(other.readInt32BE(12)).toBe(0);
          expect(recordSet.readInt16BE(21) & 0x10).toBe(transactional ? 0x10 : 0);
          // Everything else, the CRC over attributes … records included, is identical.
          expect(Buffer.concat([recordSet.subarray(0, 12), recordSet.subarray(16)])).toEqual(
            Buffer.concat([other.subarray(0, 12), other.subarray(16)]),
          );
        });
      });
      expect(ours.length).toBe(theirs.length);
    }
  });

  it('throws when a partition is not exactly one encoded batch', async () => {
    const sealed = Buffer.from((await RecordBatch.encode(ORDERS)).seal(-1n, -1, -1));
    const other = Buffer.from((await RecordBatch.encode(PAYMENTS)).seal(-1n, -1, -1));
    const args = (messages: Message[]): Args => ({
      acks: 1,
      timeout: 100,
      topicData: [{ topic: 'orders', partitions: [{ partition: 3, messages }] }],
    });
    const refused = 'partition 3 of orders is not one encoded batch';
    expect(() => encodeProduceRequest(args([]))).toThrow(refused);
    expect(() => encodeProduceRequest(args([standIn(sealed, 3), standIn(other, 3)]))).toThrow(
      refused,
    );
    // Plain kafkajs messages, alone or after a stand-in.
    expect(() => encodeProduceRequest(args(asMessages(ORDERS)))).toThrow(refused);
    expect(() => encodeProduceRequest(args([standIn(sealed, 3), ...asMessages(ORDERS)]))).toThrow(
      refused,
    );
  });

  describe('installProduceEncoder', () => {
    const original = produce.protocol;
    beforeAll(() => installProduceEncoder());

    /** A request of the module's: orders/5 and payments/0, sealed for producer 123, epoch 1. */
    const ownArgs = async (acks = -1) => {
      const orders = await RecordBatch.encode(ORDERS);
      const payments = await RecordBatch.encode(PAYMENTS);
      return {
        acks,
        timeout: 30_000,
        topicData: [
          {
            topic: 'orders',
            partitions: [{ partition: 5, messages: [standIn(orders.seal(123n, 1, 40), 5)] }],
          },
          {
            topic: 'payments',
            partitions: [{ partition: 0, messages: [standIn(payments.seal(123n, 1, 0), 0)] }],
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
      const orders = parse(expected).topics[0].partitions[0].recordSet;
      expect(header(orders)).toEqual({ producerId: 123n, epoch: 1, firstSequence: 40, count: 3 });
      for (const version of [3, 4, 5, 6, 7]) {
        const { request } = produce.protocol({ version })(args);
        expect(await request.encode()).toMatchObject({ buffer: expected, offset: expected.length });
        // The rest is kafkajs's own: api key, version, name.
        expect(request).toMatchObject({ apiKey: 0, apiVersion: version, apiName: 'Produce' });
        expect(request.expectResponse()).toBe(true);
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
      for (const version of [0, 1, 2]) {
        await expect(produce.protocol({ version })(args).request.encode()).rejects.toThrow(
          `the broker only takes Produce v${version}; record batches need v3`,
        );
      }
    });

    it("answers the module's requests with every partition's answer, errors included, for v3 to v7", async () => {
      const args = await ownArgs();
      const answers = [
        {
          topic: 'orders',
          partitions: [
            { partition: 5, errorCode: 0, baseOffset: 9_007_199_254_740_993n },
            { partition: 6, errorCode: 6, baseOffset: -1n }, // NOT_LEADER_OR_FOLLOWER
          ],
        },
        { topic: 'payments', partitions: [{ partition: 0, errorCode: 45, baseOffset: -1n }] },
      ];
      for (const version of [3, 4, 5, 6, 7]) {
        const { response } = produce.protocol({ version })(args);
        const decoded = await response.decode(responseBody(version, answers));
        const parsed = (await response.parse(decoded)) as ProduceAnswer;
        expect(
          parsed.topics.map(({ topicName, partitions }) => ({
            topicName,
            partitions: partitions.map(({ partition, errorCode, baseOffset }) => ({
              partition,
              errorCode,
              baseOffset,
            })),
          })),
        ).toEqual([
          {
            topicName: 'orders',
            partitions: [
              { partition: 5, errorCode: 0, baseOffset: '9007199254740993' },
              { partition: 6, errorCode: 6, baseOffset: '-1' },
            ],
          },
          {
            topicName: 'payments',
            partitions: [{ partition: 0, errorCode: 45, baseOffset: '-1' }],
          },
        ]);
        // kafkajs's own response for the same bytes throws the first partition's error.
        const own = original({ version })(args).response;
        await expect(own.parse(await own.decode(responseBody(version, answers)))).rejects.toThrow(
          expect.objectContaining({ type: 'NOT_LEADER_FOR_PARTITION' }),
        );
      }
    });

    it("leaves requests of ordinary kafkajs messages to kafkajs's own encoder and response", async () => {
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
      const { request, response } = produce.protocol({ version: 3 })(args);
      const wrapped = await request.encode();
      const own = await kafkajsV3Request(args).encode();
      expect(wrapped.buffer).toEqual(own.buffer);
      // kafkajs's partition leader epoch 0: its own batch, not one of ours.
      expect(parse(wrapped.buffer).topics[0].partitions[0].recordSet.readInt32BE(12)).toBe(0);
      expect(header(parse(wrapped.buffer).topics[0].partitions[0].recordSet)).toMatchObject({
        producerId: 7n,
        firstSequence: 1,
      });
      // Its response still throws a partition's error, as kafkajs's producer expects.
      const body = responseBody(3, [
        { topic: 'orders', partitions: [{ partition: 0, errorCode: 29, baseOffset: -1n }] },
      ]);
      await expect(response.parse(await response.decode(body))).rejects.toThrow(
        expect.objectContaining({ type: 'TOPIC_AUTHORIZATION_FAILED' }),
      );
    });
  });
});
