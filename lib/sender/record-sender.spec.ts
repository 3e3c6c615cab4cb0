import { Logger } from '@nestjs/common';
import { ProducerBatch } from '../accumulator/producer-batch.js';
import { AuthorizationError } from '../errors/authorization.error.js';
import { DeliveryTimeoutError } from '../errors/delivery-timeout.error.js';
import type { KafkaProducerError } from '../errors/kafka-producer.error.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import { UnknownTopicError } from '../errors/unknown-topic.error.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type {
  PartitionBatch,
  PartitionOutcome,
  Transport,
} from '../transport/transport.interface.js';
import { RecordSender } from './record-sender.js';

/** What the fake transport answers to one request: an outcome per batch, in order. */
type Script = (batches: readonly PartitionBatch[], call: number) => PartitionOutcome[];

/** A Transport that answers each produce() by `script` and keeps what it was handed. */
class FakeTransport implements Transport {
  readonly calls: Array<{
    batches: readonly PartitionBatch[];
    profile: ReliabilityProfile;
    compression: CompressionCodec;
  }> = [];
  closed = false;

  constructor(private readonly script: Script) {}

  connect(): Promise<void> {
    return Promise.resolve();
  }
  partitions(): number {
    return 4;
  }
  produce(
    batches: readonly PartitionBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): Promise<PartitionOutcome[]> {
    this.calls.push({ batches, profile, compression });
    return Promise.resolve(this.script(batches, this.calls.length));
  }
  maxInFlight(): number {
    return 5;
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const PROFILE: ReliabilityProfile = {
  id: 'all',
  acks: -1,
  idempotent: true,
  retries: Number.MAX_SAFE_INTEGER,
  deliveryTimeoutMs: 300,
};

function setup(script: Script) {
  const transport = new FakeTransport(script);
  const logger = new Logger('test');
  logger.warn = () => undefined;
  const sender = new RecordSender(transport, { retryBackoffMs: 5, retryBackoffMaxMs: 20 }, logger);
  return { sender, transport };
}

const notLeader = () =>
  new SendFailedError('t', true, 'NOT_LEADER_FOR_PARTITION', 'This server is not the leader');

/** A batch of `n` records for `partition` (values `partition-first+i`), and its callers' outcomes. */
function batch(partition: number, n: number, first = 0, topic = 't') {
  const b = new ProducerBatch(topic, partition, Date.now());
  const outcomes: Array<Promise<DeliveryReport>> = [];
  for (let i = first; i < first + n; i++) {
    const outcome = new Promise<DeliveryReport>((resolve, reject) =>
      b.add({
        record: {
          topic,
          keyValue: `k${i}`,
          key: Buffer.from(`k${i}`),
          value: Buffer.from(`${partition}-${i}`),
          headers: {},
          timestamp: 1_700_000_000_000 + i,
          eventId: `${partition}-${i}`,
          size: 2,
        },
        reserved: 66,
        resolve,
        reject,
      }),
    );
    // Settled while the sender still works on other records: the test reads it later.
    outcome.catch(() => undefined);
    outcomes.push(outcome);
  }
  return { batch: b, outcomes };
}

/** The values of a record batch's records, read back from its (uncompressed) bytes. */
function values(bytes: Buffer): string[] {
  const readVarint = (o: number): [number, number] => {
    let value = 0;
    let shift = 0;
    let b: number;
    do {
      b = bytes[o++];
      value |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return [(value >>> 1) ^ -(value & 1), o];
  };
  const found: string[] = [];
  let o = 61;
  for (let r = bytes.readInt32BE(57); r > 0; r--) {
    let length: number;
    [length, o] = readVarint(o);
    const end = o + length;
    o += 1; // attributes
    [, o] = readVarint(o); // timestamp delta
    [, o] = readVarint(o); // offset delta
    let keyLength: number;
    [keyLength, o] = readVarint(o);
    if (keyLength > 0) o += keyLength;
    let valueLength: number;
    [valueLength, o] = readVarint(o);
    found.push(bytes.toString('utf8', o, o + valueLength));
    o = end;
  }
  expect(o).toBe(bytes.length);
  return found;
}

const ok = (batches: readonly PartitionBatch[], baseOffset = 0): PartitionOutcome[] =>
  batches.map(() => ({ baseOffset }));

const reports = async (outcomes: Array<Promise<DeliveryReport>>) =>
  (await Promise.all(outcomes)).map((r) => `${r.partition}@${r.offset}`);

describe('RecordSender', () => {
  it("sends a partition's batches as one record batch; each record gets base offset + position", async () => {
    const { sender, transport } = setup((batches) =>
      batches.map((b) => ({ baseOffset: b.partition === 0 ? 100 : 7 })),
    );
    const a = batch(0, 2);
    const b = batch(1, 1);
    const c = batch(0, 3, 2);
    await sender.transmit([a.batch, b.batch, c.batch], PROFILE, 'none', Date.now() + 1000);
    expect(transport.calls).toHaveLength(1);
    const [{ batches, profile, compression }] = transport.calls;
    expect([profile, compression]).toEqual([PROFILE, 'none']);
    expect(batches.map((p) => [p.topic, p.partition, p.batch.count])).toEqual([
      ['t', 0, 5],
      ['t', 1, 1],
    ]);
    expect(values(batches[0].batch.seal(-1n, -1, -1))).toEqual(['0-0', '0-1', '0-2', '0-3', '0-4']);
    expect(await reports([...a.outcomes, ...c.outcomes, ...b.outcomes])).toEqual([
      '0@100',
      '0@101',
      '0@102',
      '0@103',
      '0@104',
      '1@7',
    ]);
    const report = await c.outcomes[0];
    expect(report).toEqual({
      topic: 't',
      partition: 0,
      offset: '102',
      key: 'k2',
      timestamp: String(1_700_000_000_002),
      eventId: '0-2',
    });
  });

  it('reports offset -1 for every record when the broker gives none (acks 0)', async () => {
    const { sender } = setup((batches) => ok(batches, -1));
    const a = batch(0, 2);
    const b = batch(0, 1, 2);
    await sender.transmit([a.batch, b.batch], PROFILE, 'none', Date.now() + 1000);
    expect(await reports([...a.outcomes, ...b.outcomes])).toEqual(['0@-1', '0@-1', '0@-1']);
  });

  it('retries a retriable failure after a backoff with the same PartitionBatch, until it succeeds', async () => {
    const { sender, transport } = setup((batches, call) =>
      call <= 2 ? batches.map(() => ({ error: notLeader() })) : ok(batches, 40),
    );
    const a = batch(0, 2);
    await sender.transmit([a.batch], PROFILE, 'none', Date.now() + 1000);
    expect(transport.calls).toHaveLength(3);
    const [first, second, third] = transport.calls.map((c) => c.batches[0]);
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(third.batch).toBe(first.batch);
    expect(await reports(a.outcomes)).toEqual(['0@40', '0@41']);
  });

  it('fails at once, without retrying, on a fatal error', async () => {
    const unknown = new UnknownTopicError('t');
    const { sender, transport } = setup((batches) => batches.map(() => ({ error: unknown })));
    const a = batch(0, 2);
    await sender.transmit([a.batch], PROFILE, 'none', Date.now() + 1000);
    for (const outcome of a.outcomes) await expect(outcome).rejects.toBe(unknown);
    expect(transport.calls).toHaveLength(1);
  });

  it('fails with DeliveryTimeoutError carrying the cause when retriable failures last past the deadline', async () => {
    const cause = notLeader();
    const { sender, transport } = setup((batches) => batches.map(() => ({ error: cause })));
    const a = batch(0, 1);
    await sender.transmit([a.batch], PROFILE, 'none', Date.now() + 100);
    const error = await a.outcomes[0].catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryTimeoutError);
    expect((error as DeliveryTimeoutError).cause).toBe(cause);
    expect((error as DeliveryTimeoutError).timeoutMs).toBe(PROFILE.deliveryTimeoutMs);
    expect(transport.calls.length).toBeGreaterThan(1);
    // Every attempt carried the same record batch.
    expect(new Set(transport.calls.map((c) => c.batches[0].batch)).size).toBe(1);
  });

  it('retries only the partitions that failed; the acked ones are settled once', async () => {
    const { sender, transport } = setup((batches, call) =>
      batches.map((b) =>
        call === 1 && b.partition === 1 ? { error: notLeader() } : { baseOffset: 10 * call },
      ),
    );
    const a = batch(0, 2);
    const b = batch(1, 1);
    const c = batch(2, 1);
    await sender.transmit([a.batch, b.batch, c.batch], PROFILE, 'none', Date.now() + 1000);
    expect(transport.calls.map((call) => call.batches.map((p) => p.partition))).toEqual([
      [0, 1, 2],
      [1],
    ]);
    expect(transport.calls[1].batches[0]).toBe(transport.calls[0].batches[1]);
    expect(await reports([...a.outcomes, ...b.outcomes, ...c.outcomes])).toEqual([
      '0@10',
      '0@11',
      '1@20',
      '2@10',
    ]);
  });

  it('fails the partitions with a fatal error and retries those with a retriable one', async () => {
    const denied = new AuthorizationError('secret', 'Not authorized to access topics');
    const { sender, transport } = setup((batches, call) =>
      batches.map((b): PartitionOutcome => {
        if (b.topic === 'secret') return { error: denied };
        return call === 1 ? { error: notLeader() } : { baseOffset: 5 };
      }),
    );
    const open = batch(0, 1);
    const closed = batch(0, 2, 0, 'secret');
    await sender.transmit([open.batch, closed.batch], PROFILE, 'none', Date.now() + 1000);
    expect(await reports(open.outcomes)).toEqual(['0@5']);
    for (const outcome of closed.outcomes) await expect(outcome).rejects.toBe(denied);
    expect(transport.calls.map((call) => call.batches.map((p) => p.topic))).toEqual([
      ['t', 'secret'],
      ['t'],
    ]);
  });

  it('gives up on a retriable failure once the transport is closed', async () => {
    const error: KafkaProducerError = notLeader();
    const { sender, transport } = setup((batches) => {
      void transport.close();
      return batches.map(() => ({ error }));
    });
    const a = batch(0, 1);
    await sender.transmit([a.batch], PROFILE, 'none', Date.now() + 1000);
    await expect(a.outcomes[0]).rejects.toBe(error);
    expect(transport.calls).toHaveLength(1);
  });

  it('settles a request still unanswered at the deadline with DeliveryTimeoutError, then waits for it', async () => {
    let answer!: (outcomes: PartitionOutcome[]) => void;
    const transport = new FakeTransport(() => []);
    transport.produce = (batches) => {
      transport.calls.push({ batches, profile: PROFILE, compression: 'none' });
      return new Promise((resolve) => (answer = resolve));
    };
    const logger = new Logger('test');
    logger.warn = () => undefined;
    const sender = new RecordSender(
      transport,
      { retryBackoffMs: 5, retryBackoffMaxMs: 20 },
      logger,
    );
    const a = batch(0, 1);
    let done = false;
    const transmitted = sender
      .transmit([a.batch], PROFILE, 'none', Date.now() + 50)
      .then(() => (done = true));
    const error = await a.outcomes[0].catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryTimeoutError);
    expect(done).toBe(false);
    // The late answer changes nothing for the caller, and nothing is sent again.
    answer(ok(transport.calls[0].batches, 3));
    await transmitted;
    expect(transport.calls).toHaveLength(1);
    await expect(a.outcomes[0]).rejects.toBe(error);
  });
});
