import { Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { AuthorizationError } from '../../errors/authorization.error.js';
import { ProducerNotConnectedError } from '../../errors/producer-not-connected.error.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import { UnknownTopicError } from '../../errors/unknown-topic.error.js';
import type { ReliabilityProfile } from '../../interfaces/reliability.interface.js';
import { RecordBatch } from '../../protocol/record-batch.js';
import type { OutgoingRecord } from '../../record/outgoing-record.js';
import { slotKey } from '../../record/slot-key.js';
import type { PartitionBatch, PartitionOutcome } from '../transport.interface.js';
import { KafkajsTransport, type KafkajsTransportSettings } from './kafkajs-transport.js';
import { encodeProduceRequest, type ProduceAnswer } from './produce-request.js';
import type { KafkajsBroker, KafkajsCluster, PartitionMetadata } from './topic-metadata.js';

type ProduceRequest = Parameters<KafkajsBroker['produce']>[0];

/** One partition of a Produce request a fake broker received: its record batch's bytes. */
interface ReceivedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly bytes: Buffer;
  readonly producerId: bigint;
  readonly epoch: number;
  readonly sequence: number;
  readonly count: number;
}

/** One Produce request as a fake broker received it. */
interface Received {
  readonly broker: number;
  readonly acks: number;
  readonly timeout: number;
  readonly partitions: ReceivedPartition[];
}

/**
 * Reads a Produce v3+ body (as the module writes it, see produce-request.ts) by hand: the
 * partitions and their record batches' header fields.
 */
function parseRequest(buf: Buffer): Omit<Received, 'broker'> {
  let o = 0;
  const int16 = () => ((o += 2), buf.readInt16BE(o - 2));
  const int32 = () => ((o += 4), buf.readInt32BE(o - 4));
  const string = (length: number) => ((o += length), buf.toString('utf8', o - length, o));
  const idLength = int16();
  if (idLength >= 0) o += idLength;
  const acks = int16();
  const timeout = int32();
  const partitions: ReceivedPartition[] = [];
  for (let topics = int32(); topics > 0; topics--) {
    const topic = string(int16());
    for (let count = int32(); count > 0; count--) {
      const partition = int32();
      const length = int32();
      const bytes = Buffer.from(buf.subarray(o, o + length));
      o += length;
      partitions.push({
        topic,
        partition,
        bytes,
        producerId: bytes.readBigInt64BE(43),
        epoch: bytes.readInt16BE(51),
        sequence: bytes.readInt32BE(53),
        count: bytes.readInt32BE(57),
      });
    }
  }
  expect(o).toBe(buf.length);
  return { acks, timeout, partitions };
}

const kafkajsError = (name: string, message: string, extra: object = {}) =>
  Object.assign(new Error(message), { name, ...extra });
const connectionError = () =>
  kafkajsError('KafkaJSConnectionError', 'Connection error: read ECONNRESET', { retriable: true });

/**
 * A kafkajs broker stand-in: it reads each Produce request the module wrote, appends the
 * partitions it accepts to its logs, and answers per partition with the scripted error
 * codes (0 when none is left), or throws what `throws` holds.
 */
class FakeBroker implements KafkajsBroker {
  /** Errors the next requests throw instead of answering, one per request. */
  readonly throws: Error[] = [];

  constructor(
    readonly nodeId: number,
    private readonly cluster: FakeCluster,
  ) {}

  produce(request: ProduceRequest): Promise<unknown> {
    const read = parseRequest(encodeProduceRequest(request as never));
    this.cluster.received.push({ broker: this.nodeId, ...read });
    const thrown = this.throws.shift();
    if (thrown) return Promise.reject(thrown);
    const topics = new Map<string, Array<ProduceAnswer['topics'][number]['partitions'][number]>>();
    for (const { topic, partition, count } of read.partitions) {
      const slot = slotKey(topic, partition);
      if (this.cluster.unanswered.delete(slot)) continue;
      const errorCode = this.cluster.codes.get(slot)?.shift() ?? 0;
      let baseOffset = '-1';
      if (errorCode === 0) {
        const end = this.cluster.logEnd.get(slot) ?? 0;
        this.cluster.logEnd.set(slot, end + count);
        baseOffset = String(end);
      }
      let list = topics.get(topic);
      if (!list) topics.set(topic, (list = []));
      list.push({ partition, errorCode, baseOffset });
    }
    if (read.acks === 0) return Promise.resolve(undefined);
    const answer: ProduceAnswer = {
      topics: [...topics].map(([topicName, partitions]) => ({ topicName, partitions })),
    };
    return Promise.resolve(answer);
  }

  initProducerId(): Promise<{ producerId: string; producerEpoch: number }> {
    const call = ++this.cluster.inits;
    if (this.cluster.failInits > 0) {
      this.cluster.failInits--;
      return Promise.reject(
        kafkajsError('KafkaJSProtocolError', 'The coordinator is not available', {
          type: 'COORDINATOR_NOT_AVAILABLE',
          retriable: true,
        }),
      );
    }
    return Promise.resolve({ producerId: String(999 + call), producerEpoch: 3 });
  }
}

/**
 * A kafkajs Cluster stand-in: partition leaders per topic (what a metadata refresh brings
 * is set apart in `afterRefresh`), brokers 1 and 2 (broker 1 the controller).
 */
class FakeCluster implements KafkajsCluster {
  readonly received: Received[] = [];
  readonly brokers = new Map<number, FakeBroker>([
    [1, new FakeBroker(1, this)],
    [2, new FakeBroker(2, this)],
  ]);
  /** Per topic-partition: the error codes of its next answers. */
  readonly codes = new Map<string, number[]>();
  /** Topic-partitions the next answer leaves out. */
  readonly unanswered = new Set<string>();
  /** Per topic-partition: the offset its next accepted batch gets. */
  readonly logEnd = new Map<string, number>();
  private readonly topics = new Map<string, PartitionMetadata[]>();
  private readonly afterRefresh = new Map<string, PartitionMetadata[]>();
  refreshes = 0;
  inits = 0;
  failInits = 0;
  connects = 0;
  disconnects = 0;
  refuseConnect = false;
  failRefresh?: Error;

  /** The leader of each partition of `topic` (null: none); from the next refresh if `later`. */
  leaders(topic: string, leaders: Array<number | null>, later = false): void {
    const metadata = leaders.map((leader, partitionId) => ({ partitionId, leader }));
    (later ? this.afterRefresh : this.topics).set(topic, metadata);
  }

  /** Answers the next requests for topic-partition `topic`/`partition` with `codes`. */
  answer(topic: string, partition: number, ...codes: number[]): void {
    this.codes.set(slotKey(topic, partition), codes);
  }

  connect(): Promise<void> {
    this.connects++;
    return this.refuseConnect
      ? Promise.reject(kafkajsError('KafkaJSConnectionError', 'connect ECONNREFUSED b1:9092'))
      : Promise.resolve();
  }
  disconnect(): Promise<void> {
    this.disconnects++;
    return Promise.resolve();
  }
  addMultipleTargetTopics(): Promise<void> {
    return Promise.resolve();
  }
  refreshMetadata(): Promise<void> {
    this.refreshes++;
    if (this.failRefresh) return Promise.reject(this.failRefresh);
    // kafkajs replaces its metadata on a refresh: every topic's array is a new one.
    for (const [topic, metadata] of this.topics) this.topics.set(topic, [...metadata]);
    for (const [topic, metadata] of this.afterRefresh) this.topics.set(topic, metadata);
    this.afterRefresh.clear();
    return Promise.resolve();
  }
  refreshMetadataIfNecessary(): Promise<void> {
    return Promise.resolve();
  }
  findTopicPartitionMetadata(topic: string): PartitionMetadata[] {
    return this.topics.get(topic) ?? [];
  }
  findBroker({ nodeId }: { nodeId: string }): Promise<KafkajsBroker> {
    const broker = this.brokers.get(Number(nodeId));
    if (broker) return Promise.resolve(broker);
    return Promise.reject(
      kafkajsError('KafkaJSBrokerNotFound', `Broker ${nodeId} not found in the cached metadata`),
    );
  }
  findControllerBroker(): Promise<KafkajsBroker> {
    return Promise.resolve(this.brokers.get(1)!);
  }
  broker(nodeId: number): FakeBroker {
    return this.brokers.get(nodeId)!;
  }
}

const SETTINGS: KafkajsTransportSettings = {
  client: { brokers: ['b1:9092'] },
  brokers: ['b1:9092', 'b2:9092'],
  requestTimeoutMs: 1234,
  connectRetries: 1,
  connectTimeoutMs: 1000,
  maxInFlightRequests: 8,
  allowAutoTopicCreation: true,
  maxBlockMs: 500,
  metadataMaxAgeMs: 60_000,
};

const ALL: ReliabilityProfile = {
  id: 'all',
  acks: -1,
  idempotent: true,
  retries: Number.MAX_SAFE_INTEGER,
  deliveryTimeoutMs: 120_000,
};
const LEADER: ReliabilityProfile = {
  id: 'leader',
  acks: 1,
  idempotent: false,
  retries: 5,
  deliveryTimeoutMs: 120_000,
};
const FIRE: ReliabilityProfile = {
  id: 'fire-and-forget',
  acks: 0,
  idempotent: false,
  retries: 5,
  deliveryTimeoutMs: 120_000,
};

function setup() {
  const cluster = new FakeCluster();
  const logger = new Logger('test');
  logger.log = () => undefined;
  logger.warn = () => undefined;
  logger.error = () => undefined;
  const transport = new KafkajsTransport(SETTINGS, logger, {} as Kafka, () => cluster);
  return { cluster, transport };
}

let made = 0;
/** A partition's batch of `count` records (values unique across the file). */
async function part(topic: string, partition: number, count: number): Promise<PartitionBatch> {
  const records = Array.from({ length: count }, (): OutgoingRecord => {
    const value = Buffer.from(`value ${++made}`);
    return {
      topic,
      keyValue: null,
      key: null,
      value,
      headers: {},
      timestamp: 1_700_000_000_000 + made,
      eventId: `e${made}`,
      size: value.length,
    };
  });
  return { topic, partition, batch: await RecordBatch.encode(records) };
}

/** What each request carried: `broker: topic/partition …`, in the order they arrived. */
const routes = (received: readonly Received[]) =>
  received.map(
    ({ broker, partitions }) =>
      `${broker}: ${partitions.map((p) => `${p.topic}/${p.partition}`).join(' ')}`,
  );

/** The last request's partition `topic`/`partition`, as the broker received it. */
function lastSent(cluster: FakeCluster, topic: string, partition: number): ReceivedPartition {
  for (let i = cluster.received.length - 1; i >= 0; i--) {
    const found = cluster.received[i].partitions.find(
      (p) => p.topic === topic && p.partition === partition,
    );
    if (found) return found;
  }
  throw new Error(`${topic}/${partition} was never sent`);
}

const numbers = (p: ReceivedPartition) => [p.producerId, p.epoch, p.sequence];
const offsets = (outcomes: readonly PartitionOutcome[]) => outcomes.map((o) => o.baseOffset);
const errorOf = (outcome: PartitionOutcome) => {
  if (!outcome.error) throw new Error(`expected an error, got base offset ${outcome.baseOffset}`);
  return outcome.error;
};

describe('KafkajsTransport', () => {
  it('sends one Produce request per leader, carrying every partition it leads', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 2, 1, 2]);
    cluster.leaders('payments', [2, 1]);
    const batches = await Promise.all([
      part('orders', 0, 1),
      part('orders', 1, 2),
      part('orders', 2, 3),
      part('orders', 3, 1),
      part('payments', 0, 2),
      part('payments', 1, 1),
    ]);
    const outcomes = await transport.produce(batches, LEADER, 'none');
    expect(offsets(outcomes)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(routes(cluster.received).sort()).toEqual([
      '1: orders/0 orders/2 payments/1',
      '2: orders/1 orders/3 payments/0',
    ]);
    for (const request of cluster.received) {
      expect([request.acks, request.timeout]).toEqual([1, 1234]);
    }
    // Each partition's record batch, as the transport sealed it, byte for byte.
    for (const { topic, partition, batch } of batches) {
      const sent = lastSent(cluster, topic, partition);
      expect(sent.bytes).toEqual(batch.bytes);
      expect(sent.count).toBe(batch.count);
    }
  });

  it("answers each batch with its partition's base offset, in the order given", async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 2, 1]);
    const first = await Promise.all([part('orders', 2, 3), part('orders', 0, 2)]);
    expect(offsets(await transport.produce(first, LEADER, 'none'))).toEqual([0, 0]);
    const second = await Promise.all([
      part('orders', 0, 1),
      part('orders', 1, 4),
      part('orders', 2, 1),
    ]);
    expect(offsets(await transport.produce(second, LEADER, 'none'))).toEqual([2, 0, 3]);
    expect(offsets(await transport.produce([await part('orders', 2, 1)], LEADER, 'none'))).toEqual([
      4,
    ]);
  });

  it("fails a partition the broker answers with an error code with that error's type only", async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 1, 1, 1, 2]);
    cluster.answer('orders', 0, 6); // NOT_LEADER_OR_FOLLOWER
    cluster.answer('orders', 1, 3); // UNKNOWN_TOPIC_OR_PARTITION
    cluster.answer('orders', 2, 29); // TOPIC_AUTHORIZATION_FAILED
    cluster.answer('orders', 3, 7); // REQUEST_TIMED_OUT
    const batches = await Promise.all([0, 1, 2, 3, 4].map((p) => part('orders', p, 2)));
    const outcomes = await transport.produce(batches, LEADER, 'none');
    const notLeader = errorOf(outcomes[0]);
    expect(notLeader).toBeInstanceOf(SendFailedError);
    expect(notLeader).toMatchObject({ retriable: true, brokerError: 'NOT_LEADER_FOR_PARTITION' });
    expect(errorOf(outcomes[1])).toBeInstanceOf(UnknownTopicError);
    expect(errorOf(outcomes[1])).toMatchObject({ topic: 'orders', retriable: false });
    expect(errorOf(outcomes[2])).toBeInstanceOf(AuthorizationError);
    expect(errorOf(outcomes[2])).toMatchObject({ topic: 'orders', retriable: false });
    expect(errorOf(outcomes[3])).toMatchObject({
      retriable: true,
      brokerError: 'REQUEST_TIMED_OUT',
    });
    expect(outcomes[4]).toEqual({ baseOffset: 0 });
    expect(routes(cluster.received).sort()).toEqual([
      '1: orders/0 orders/1 orders/2 orders/3',
      '2: orders/4',
    ]);
  });

  it('fails a partition the broker left out of its answer retriably', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 1]);
    cluster.unanswered.add(slotKey('orders', 1));
    const outcomes = await transport.produce(
      await Promise.all([part('orders', 0, 1), part('orders', 1, 1)]),
      LEADER,
      'none',
    );
    expect(outcomes[0]).toEqual({ baseOffset: 0 });
    expect(errorOf(outcomes[1])).toBeInstanceOf(SendFailedError);
    expect(errorOf(outcomes[1]).retriable).toBe(true);
    expect(errorOf(outcomes[1]).message).toContain('no broker answer for partition 1');
  });

  it('refreshes the metadata after a retriable failure, before the next request, and sends to the new leader', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 1]);
    await expect(transport.partitions('orders')).resolves.toBe(2);
    cluster.answer('orders', 0, 6);
    // The refresh moves orders/0 to broker 2, and finds a third partition.
    cluster.leaders('orders', [2, 1, 2], true);
    const moved = await part('orders', 0, 2);
    const outcomes = await transport.produce([moved, await part('orders', 1, 1)], LEADER, 'none');
    expect(errorOf(outcomes[0]).retriable).toBe(true);
    expect(outcomes[1]).toEqual({ baseOffset: 0 });
    expect(cluster.refreshes).toBe(0);

    expect(offsets(await transport.produce([moved], LEADER, 'none'))).toEqual([0]);
    expect(cluster.refreshes).toBe(1);
    expect(routes(cluster.received)).toEqual(['1: orders/0 orders/1', '2: orders/0']);
    // The refresh's partition count reaches the partitioner.
    expect(transport.partitions('orders')).toBe(3);
    // Nothing failed since: no more refreshes.
    await transport.produce([await part('orders', 2, 1)], LEADER, 'none');
    expect(cluster.refreshes).toBe(1);
    expect(routes(cluster.received).at(-1)).toBe('2: orders/2');
  });

  it('does not refresh the metadata after a fatal error', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1]);
    cluster.answer('orders', 0, 29);
    const outcomes = await transport.produce([await part('orders', 0, 1)], LEADER, 'none');
    expect(errorOf(outcomes[0])).toBeInstanceOf(AuthorizationError);
    await transport.produce([await part('orders', 0, 1)], LEADER, 'none');
    expect(cluster.refreshes).toBe(0);
  });

  it('refreshes once for all the requests that find the metadata stale', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 2]);
    cluster.broker(1).throws.push(connectionError());
    await transport.produce([await part('orders', 0, 1)], LEADER, 'none');
    const [a, b] = await Promise.all([part('orders', 0, 1), part('orders', 1, 1)]);
    const both = await Promise.all([
      transport.produce([a], LEADER, 'none'),
      transport.produce([b], LEADER, 'none'),
    ]);
    expect(both.map(offsets)).toEqual([[0], [0]]);
    expect(cluster.refreshes).toBe(1);
  });

  it('fails every batch of a request whose refresh failed, and refreshes again next time', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1]);
    cluster.answer('orders', 0, 6);
    const batch = await part('orders', 0, 1);
    await transport.produce([batch], LEADER, 'none');
    cluster.failRefresh = kafkajsError('KafkaJSConnectionError', 'Connection timeout');
    const failed = await transport.produce([batch], LEADER, 'none');
    expect(errorOf(failed[0])).toBeInstanceOf(SendFailedError);
    expect(errorOf(failed[0]).retriable).toBe(true);
    cluster.failRefresh = undefined;
    expect(offsets(await transport.produce([batch], LEADER, 'none'))).toEqual([0]);
    expect(cluster.refreshes).toBe(2);
    expect(cluster.received).toHaveLength(2);
  });

  it('seals idempotent batches with the producer id and epoch, numbering each partition 0, n, …', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 2]);
    await transport.connect(ALL);
    expect(cluster.inits).toBe(1);
    const send = async (counts: [number, number][]) => {
      const batches = await Promise.all(counts.map(([p, n]) => part('orders', p, n)));
      const outcomes = await transport.produce(batches, ALL, 'none');
      return batches.map(({ partition }, i) => [
        outcomes[i].baseOffset,
        ...numbers(lastSent(cluster, 'orders', partition)),
      ]);
    };
    expect(
      await send([
        [0, 3],
        [1, 2],
      ]),
    ).toEqual([
      [0, 1000n, 3, 0],
      [0, 1000n, 3, 0],
    ]);
    expect(
      await send([
        [0, 2],
        [1, 1],
      ]),
    ).toEqual([
      [3, 1000n, 3, 3],
      [2, 1000n, 3, 2],
    ]);
    expect(await send([[0, 1]])).toEqual([[5, 1000n, 3, 5]]);
    expect(cluster.inits).toBe(1);
    for (const { acks } of cluster.received) expect(acks).toBe(-1);
    // Another codec numbers its own records: its own producer id, from 0.
    const gzip = await part('orders', 0, 4);
    expect(offsets(await transport.produce([gzip], ALL, 'gzip'))).toEqual([6]);
    expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1001n, 3, 0]);
    expect(cluster.inits).toBe(2);
  });

  it('takes a producer id at the first request when connect() did not', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1]);
    const outcomes = await transport.produce([await part('orders', 0, 2)], ALL, 'none');
    expect(outcomes).toEqual([{ baseOffset: 0 }]);
    expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1000n, 3, 0]);
    expect(cluster.inits).toBe(1);
  });

  it('resends a retried PartitionBatch byte for byte, with its first numbers', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1]);
    await transport.produce([await part('orders', 0, 2)], ALL, 'none');
    // Refused (not leader), then lost on the way (in doubt), then written.
    cluster.answer('orders', 0, 6);
    cluster.broker(1).throws.push(connectionError());
    const retried = await part('orders', 0, 3);
    const attempts: Buffer[] = [];
    const outcomes: PartitionOutcome[][] = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(await transport.produce([retried], ALL, 'none'));
      attempts.push(lastSent(cluster, 'orders', 0).bytes);
    }
    expect(outcomes.map((o) => o[0].error?.retriable ?? o[0].baseOffset)).toEqual([true, true, 2]);
    expect(attempts[1]).toEqual(attempts[0]);
    expect(attempts[2]).toEqual(attempts[0]);
    expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1000n, 3, 2]);
    expect(cluster.inits).toBe(1);
    // The next batch follows the retried one.
    await transport.produce([await part('orders', 0, 1)], ALL, 'none');
    expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1000n, 3, 5]);
  });

  it('after a lost request, numbers a different next batch of that partition from 0 under a new producer id', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 1]);
    await transport.connect(ALL);
    await transport.produce([await part('orders', 0, 2)], ALL, 'none');
    cluster.broker(1).throws.push(connectionError());
    const [lost, other] = await Promise.all([part('orders', 0, 3), part('orders', 1, 1)]);
    const outcomes = await transport.produce([lost, other], ALL, 'none');
    for (const outcome of outcomes) {
      expect(errorOf(outcome)).toBeInstanceOf(SendFailedError);
      expect(errorOf(outcome).retriable).toBe(true);
    }
    expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1000n, 3, 2]);
    // `lost` is given up (say, at the delivery timeout); orders/1's batch is retried.
    const next = await part('orders', 0, 1);
    expect(offsets(await transport.produce([next, other], ALL, 'none'))).toEqual([2, 0]);
    expect(cluster.inits).toBe(2);
    expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1001n, 3, 0]);
    // A retry keeps the numbers it was first sent with, under the old producer id.
    expect(numbers(lastSent(cluster, 'orders', 1))).toEqual([1000n, 3, 0]);
    // From now on both partitions number under the new producer id.
    await transport.produce(
      await Promise.all([part('orders', 0, 1), part('orders', 1, 1)]),
      ALL,
      'none',
    );
    expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1001n, 3, 1]);
    expect(numbers(lastSent(cluster, 'orders', 1))).toEqual([1001n, 3, 0]);
    expect(cluster.inits).toBe(2);
  });

  it.each([
    [7, 'REQUEST_TIMED_OUT'],
    [20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'],
    [6, 'NOT_LEADER_OR_FOLLOWER'],
  ])(
    'takes a batch answered %i (%s), which may follow a write, as in doubt: a different next batch gets a new producer id',
    async (code) => {
      const { cluster, transport } = setup();
      cluster.leaders('orders', [1]);
      await transport.produce([await part('orders', 0, 2)], ALL, 'none');
      cluster.answer('orders', 0, code);
      const [outcome] = await transport.produce([await part('orders', 0, 3)], ALL, 'none');
      expect(errorOf(outcome).retriable).toBe(true);
      expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1000n, 3, 2]);
      // That batch is given up; the next one must not reuse its numbers.
      await transport.produce([await part('orders', 0, 3)], ALL, 'none');
      expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1001n, 3, 0]);
      expect(cluster.inits).toBe(2);
    },
  );

  it('keeps the numbers of a batch refused with NOT_ENOUGH_REPLICAS (before any append) for the next batch', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1]);
    await transport.produce([await part('orders', 0, 2)], ALL, 'none');
    cluster.answer('orders', 0, 19);
    await transport.produce([await part('orders', 0, 3)], ALL, 'none');
    await transport.produce([await part('orders', 0, 1)], ALL, 'none');
    expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1000n, 3, 2]);
    expect(cluster.inits).toBe(1);
  });

  it.each([
    [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER'],
    [59, 'UNKNOWN_PRODUCER_ID'],
    [47, 'INVALID_PRODUCER_EPOCH'],
  ])('renumbers a batch refused with %i (%s) under a new producer id', async (code, type) => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1]);
    await transport.produce([await part('orders', 0, 2)], ALL, 'none');
    cluster.answer('orders', 0, code);
    const refused = await part('orders', 0, 3);
    const [outcome] = await transport.produce([refused], ALL, 'none');
    expect(errorOf(outcome)).toBeInstanceOf(SendFailedError);
    expect(errorOf(outcome)).toMatchObject({ retriable: true, brokerError: type });
    const first = lastSent(cluster, 'orders', 0);
    expect(numbers(first)).toEqual([1000n, 3, 2]);

    expect(offsets(await transport.produce([refused], ALL, 'none'))).toEqual([2]);
    const second = lastSent(cluster, 'orders', 0);
    expect(numbers(second)).toEqual([1001n, 3, 0]);
    expect(cluster.inits).toBe(2);
    // Only the header changed: the records are the same bytes.
    expect(second.bytes.subarray(61)).toEqual(first.bytes.subarray(61));
    await transport.produce([await part('orders', 0, 1)], ALL, 'none');
    expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1001n, 3, 3]);
  });

  it('takes DUPLICATE_SEQUENCE_NUMBER as written, with base offset -1', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1]);
    cluster.answer('orders', 0, 46);
    const outcomes = await transport.produce([await part('orders', 0, 2)], ALL, 'none');
    expect(outcomes).toEqual([{ baseOffset: -1 }]);
    await transport.produce([await part('orders', 0, 1)], ALL, 'none');
    expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1000n, 3, 2]);
    expect(cluster.inits).toBe(1);
  });

  it('answers acks 0 with base offset -1, without waiting for an answer', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 2]);
    await transport.connect(FIRE);
    const outcomes = await transport.produce(
      await Promise.all([part('orders', 0, 2), part('orders', 1, 1)]),
      FIRE,
      'none',
    );
    expect(outcomes).toEqual([{ baseOffset: -1 }, { baseOffset: -1 }]);
    expect(cluster.received.map((r) => r.acks)).toEqual([0, 0]);
    expect(cluster.inits).toBe(0);
  });

  it('seals batches of a non-idempotent profile with producer id, epoch and sequence -1', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 2]);
    await transport.connect(LEADER);
    for (let round = 0; round < 2; round++) {
      await transport.produce(
        await Promise.all([part('orders', 0, 3), part('orders', 1, 1)]),
        LEADER,
        'none',
      );
      expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([-1n, -1, -1]);
      expect(numbers(lastSent(cluster, 'orders', 1))).toEqual([-1n, -1, -1]);
    }
    expect(cluster.inits).toBe(0);
  });

  it('fails a partition without a leader with LEADER_NOT_AVAILABLE and sends the others', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, null, -1]);
    cluster.leaders('orders', [1, 2, 2, 1], true);
    const batches = await Promise.all([
      part('orders', 0, 1),
      part('orders', 1, 2),
      part('orders', 2, 1),
      part('orders', 3, 1), // beyond the partitions the metadata knows
      part('unknown', 0, 1), // a topic the metadata does not know
    ]);
    const outcomes = await transport.produce(batches, ALL, 'none');
    expect(outcomes[0]).toEqual({ baseOffset: 0 });
    for (const outcome of outcomes.slice(1)) {
      expect(errorOf(outcome)).toBeInstanceOf(SendFailedError);
      expect(errorOf(outcome)).toMatchObject({
        retriable: true,
        brokerError: 'LEADER_NOT_AVAILABLE',
      });
    }
    expect(routes(cluster.received)).toEqual(['1: orders/0']);
    // The next request refreshes first, and the batches go out with the numbers they got.
    const retried = await transport.produce(batches.slice(1, 4), ALL, 'none');
    expect(offsets(retried)).toEqual([0, 0, 0]);
    expect(cluster.refreshes).toBe(1);
    expect(routes(cluster.received).slice(1).sort()).toEqual([
      '1: orders/3',
      '2: orders/1 orders/2',
    ]);
    for (const p of [1, 2, 3]) {
      expect(numbers(lastSent(cluster, 'orders', p))).toEqual([1000n, 3, 0]);
    }
    expect(cluster.inits).toBe(1);
  });

  it('fails the partitions of a leader it cannot reach, and sends the others', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 3]);
    const outcomes = await transport.produce(
      await Promise.all([part('orders', 0, 1), part('orders', 1, 1)]),
      LEADER,
      'none',
    );
    expect(outcomes[0]).toEqual({ baseOffset: 0 });
    expect(errorOf(outcomes[1])).toBeInstanceOf(SendFailedError);
    expect(errorOf(outcomes[1]).retriable).toBe(true);
    expect(errorOf(outcomes[1]).message).toContain('Broker 3 not found');
  });

  it("never rejects: a failed connect or InitProducerId is each batch's typed error", async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1, 2]);
    const batches = await Promise.all([part('orders', 0, 1), part('orders', 1, 1)]);
    cluster.refuseConnect = true;
    const refused = await transport.produce(batches, ALL, 'none');
    for (const outcome of refused) {
      expect(errorOf(outcome)).toBeInstanceOf(ProducerNotConnectedError);
      expect(errorOf(outcome).retriable).toBe(true);
      expect(errorOf(outcome).message).toContain('connect ECONNREFUSED b1:9092');
    }
    cluster.refuseConnect = false;
    cluster.failInits = 1;
    const noId = await transport.produce(batches, ALL, 'none');
    for (const outcome of noId) {
      expect(errorOf(outcome)).toBeInstanceOf(SendFailedError);
      expect(errorOf(outcome)).toMatchObject({
        retriable: true,
        brokerError: 'COORDINATOR_NOT_AVAILABLE',
      });
    }
    expect(cluster.received).toHaveLength(0);
    // Neither failure was kept.
    expect(offsets(await transport.produce(batches, ALL, 'none'))).toEqual([0, 0]);
    expect(cluster.connects).toBe(2);
    expect(cluster.inits).toBe(2);
    expect(numbers(lastSent(cluster, 'orders', 0))).toEqual([1001n, 3, 0]);
  });

  it('connect() rejects with ProducerNotConnectedError when the cluster or InitProducerId fails', async () => {
    const { cluster, transport } = setup();
    cluster.refuseConnect = true;
    const error = await transport.connect(LEADER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProducerNotConnectedError);
    expect((error as ProducerNotConnectedError).brokers).toEqual(['b1:9092', 'b2:9092']);
    expect((error as Error).message).toContain('connect ECONNREFUSED b1:9092');
    cluster.refuseConnect = false;
    cluster.failInits = 1;
    await expect(transport.connect(ALL)).rejects.toThrow('The coordinator is not available');
    await expect(transport.connect(ALL)).resolves.toBeUndefined();
    expect(cluster.inits).toBe(2);
  });

  it('after close() sends nothing: every batch gets ProducerNotConnectedError', async () => {
    const { cluster, transport } = setup();
    cluster.leaders('orders', [1]);
    await transport.connect(LEADER);
    expect(transport.closed).toBe(false);
    await transport.close();
    expect(transport.closed).toBe(true);
    expect(cluster.disconnects).toBe(1);
    const outcomes = await transport.produce(
      await Promise.all([part('orders', 0, 1), part('payments', 0, 1)]),
      ALL,
      'none',
    );
    for (const outcome of outcomes) {
      expect(errorOf(outcome)).toBeInstanceOf(ProducerNotConnectedError);
    }
    expect(cluster.received).toHaveLength(0);
    expect(cluster.inits).toBe(0);
  });

  it('lets an idempotent profile have at most 5 requests in flight', () => {
    const { transport } = setup();
    expect(transport.maxInFlight(ALL)).toBe(5);
    expect(transport.maxInFlight(LEADER)).toBe(8);
  });
});
