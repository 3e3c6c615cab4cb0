import { Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { AuthorizationError } from '../../errors/authorization.error.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import { TransactionFencedError } from '../../errors/transaction-fenced.error.js';
import type { ReliabilityProfile } from '../../interfaces/reliability.interface.js';
import { RecordBatch } from '../../protocol/record-batch.js';
import type { OutgoingRecord } from '../../record/outgoing-record.js';
import type { PartitionBatch } from '../transport.interface.js';
import {
  KafkajsTransactionalTransport,
  type TransactionalSettings,
} from './kafkajs-transactional-transport.js';
import { encodeProduceRequest } from './produce-request.js';
import type { KafkajsTxnBroker } from './transaction-coordinator.js';
import type { KafkajsBroker, KafkajsCluster, PartitionMetadata } from './topic-metadata.js';

type ProduceRequest = Parameters<KafkajsBroker['produce']>[0];

/** One partition of a Produce request as the fake broker read it from the request's bytes. */
interface Sent {
  readonly transactionalId: string | null;
  readonly topic: string;
  readonly partition: number;
  readonly transactional: boolean;
  readonly producerId: bigint;
  readonly epoch: number;
  readonly sequence: number;
  readonly count: number;
}

/** Reads a Produce v3+ body by hand: the transactional id, then each batch's header fields. */
function parse(buf: Buffer): Sent[] {
  let o = 0;
  const int16 = () => ((o += 2), buf.readInt16BE(o - 2));
  const int32 = () => ((o += 4), buf.readInt32BE(o - 4));
  const string = (length: number) => ((o += length), buf.toString('utf8', o - length, o));
  const idLength = int16();
  const transactionalId = idLength < 0 ? null : string(idLength);
  int16(); // acks
  int32(); // timeout
  const sent: Sent[] = [];
  for (let topics = int32(); topics > 0; topics--) {
    const topic = string(int16());
    for (let count = int32(); count > 0; count--) {
      const partition = int32();
      const length = int32();
      const b = buf.subarray(o, o + length);
      o += length;
      sent.push({
        transactionalId,
        topic,
        partition,
        transactional: (b.readInt16BE(21) & 0x10) !== 0,
        producerId: b.readBigInt64BE(43),
        epoch: b.readInt16BE(51),
        sequence: b.readInt32BE(53),
        count: b.readInt32BE(57),
      });
    }
  }
  expect(o).toBe(buf.length);
  return sent;
}

const protocolError = (type: string, code = 0, retriable = false) =>
  Object.assign(new Error(`broker said ${type}`), {
    name: 'KafkaJSProtocolError',
    type,
    code,
    retriable,
  });

/**
 * One fake broker that is partition leader and coordinator of everything: it reads the
 * module's Produce bytes, keeps the coordinator calls in order, and answers each kind of
 * call with the scripted errors first.
 */
class FakeCluster implements KafkajsCluster {
  readonly sent: Sent[] = [];
  readonly calls: string[] = [];
  /** Per call name (`addPartitionsToTxn`, `endTxn`, …, `produce`): errors of its next calls. */
  readonly errors = new Map<string, Error[]>();
  coordinatorLookups = 0;
  /** AddPartitionsToTxn refuses (TOPIC_AUTHORIZATION_FAILED) every request with this topic. */
  refusedTopic?: string;
  private epoch = 0;
  private readonly topics = new Map<string, PartitionMetadata[]>(
    ['t', 'u'].map((topic) => [
      topic,
      [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1 })),
    ]),
  );

  private next(name: string): void {
    const error = this.errors.get(name)?.shift();
    if (error) throw error;
  }

  private readonly broker: KafkajsBroker & KafkajsTxnBroker = {
    produce: (request: ProduceRequest) => {
      const sent = parse(encodeProduceRequest(request as never));
      this.sent.push(...sent);
      this.calls.push(`produce ${sent.map((s) => `${s.topic}/${s.partition}`).join(' ')}`);
      const error = this.errors.get('produce')?.shift() as { code?: number } | undefined;
      return Promise.resolve({
        topics: [
          {
            topicName: 't',
            partitions: sent.map((s) => ({
              partition: s.partition,
              errorCode: error?.code ?? 0,
              baseOffset: '0',
            })),
          },
        ],
      });
    },
    initProducerId: async ({ transactionalId, transactionTimeout }) => {
      this.calls.push(`initProducerId ${transactionalId} ${transactionTimeout}`);
      this.next('initProducerId');
      return { producerId: '4000', producerEpoch: ++this.epoch };
    },
    addPartitionsToTxn: async ({ producerEpoch, topics }) => {
      this.calls.push(
        `addPartitionsToTxn e${producerEpoch} ${topics.map((t) => `${t.topic}/${t.partitions.join(',')}`).join(' ')}`,
      );
      this.next('addPartitionsToTxn');
      if (topics.some((t) => t.topic === this.refusedTopic)) {
        throw protocolError('TOPIC_AUTHORIZATION_FAILED', 29);
      }
    },
    addOffsetsToTxn: async ({ groupId }) => {
      this.calls.push(`addOffsetsToTxn ${groupId}`);
      this.next('addOffsetsToTxn');
    },
    txnOffsetCommit: async ({ groupId, topics }) => {
      const list = topics.flatMap((t) =>
        t.partitions.map((p) => `${t.topic}/${p.partition}@${p.offset}`),
      );
      this.calls.push(`txnOffsetCommit ${groupId} ${list.join(' ')}`);
      this.next('txnOffsetCommit');
    },
    endTxn: async ({ transactionResult, producerEpoch }) => {
      this.calls.push(`endTxn ${transactionResult ? 'commit' : 'abort'} e${producerEpoch}`);
      this.next('endTxn');
    },
  };

  findGroupCoordinator({ coordinatorType }: { groupId: string; coordinatorType: number }) {
    this.coordinatorLookups++;
    this.calls.push(`findCoordinator type ${coordinatorType}`);
    return Promise.resolve(this.broker);
  }
  connect = () => Promise.resolve();
  disconnect = () => Promise.resolve();
  addMultipleTargetTopics = () => Promise.resolve();
  refreshMetadata = () => Promise.resolve();
  refreshMetadataIfNecessary = () => Promise.resolve();
  findTopicPartitionMetadata = (topic: string) => this.topics.get(topic) ?? [];
  findBroker = () => Promise.resolve(this.broker);
  findControllerBroker = () => Promise.resolve(this.broker);
}

const SETTINGS: TransactionalSettings = {
  client: { brokers: ['b1:9092'] },
  brokers: ['b1:9092'],
  requestTimeoutMs: 1000,
  connectRetries: 1,
  connectTimeoutMs: 1000,
  maxInFlightRequests: 5,
  allowAutoTopicCreation: true,
  maxBlockMs: 2000,
  metadataMaxAgeMs: 60_000,
  transactionalId: 'app-0',
  transactionTimeoutMs: 45_000,
  retryBackoffMs: 1,
  retryBackoffMaxMs: 4,
};

const ALL: ReliabilityProfile = {
  id: 'all',
  acks: -1,
  idempotent: true,
  retries: Number.MAX_SAFE_INTEGER,
  deliveryTimeoutMs: 120_000,
};

function setup() {
  const cluster = new FakeCluster();
  const logger = new Logger('test');
  logger.log = logger.warn = logger.error = logger.debug = () => undefined;
  const transport = new KafkajsTransactionalTransport(SETTINGS, logger, {} as Kafka, () => cluster);
  return { cluster, transport };
}

let made = 0;
async function part(partition: number, count = 2, topic = 't'): Promise<PartitionBatch> {
  const records = Array.from({ length: count }, (): OutgoingRecord => {
    const value = Buffer.from(`v${++made}`);
    return {
      topic: 't',
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

describe('KafkajsTransactionalTransport', () => {
  it('takes the transactional id with its timeout, adds each partition once before its first batch, and sends transactional batches with the id', async () => {
    const { cluster, transport } = setup();
    await transport.open();
    transport.begin();
    const first = await transport.produce([await part(0), await part(1, 3)], ALL, 'none');
    const second = await transport.produce([await part(0), await part(2)], ALL, 'none');
    expect([...first, ...second].every((o) => o.error === undefined)).toBe(true);
    await transport.end(true);
    expect(cluster.calls).toEqual([
      'findCoordinator type 1',
      'initProducerId app-0 45000',
      'addPartitionsToTxn e1 t/0,1',
      'produce t/0 t/1',
      'addPartitionsToTxn e1 t/2',
      'produce t/0 t/2',
      'endTxn commit e1',
    ]);
    expect(
      cluster.sent.map((s) => [s.transactionalId, s.transactional, s.producerId, s.epoch]),
    ).toEqual(Array(4).fill(['app-0', true, 4000n, 1]));
    // Sequence numbers run on per partition.
    expect(cluster.sent.map((s) => `${s.partition}:${s.sequence}`)).toEqual([
      '0:0',
      '1:0',
      '0:2',
      '2:0',
    ]);
  });

  it('adds the partitions again in the next transaction, and sends no EndTxn for an empty one', async () => {
    const { cluster, transport } = setup();
    await transport.open();
    transport.begin();
    await transport.end(true);
    transport.begin();
    await transport.produce([await part(0)], ALL, 'none');
    await transport.end(false);
    transport.begin();
    await transport.produce([await part(0)], ALL, 'none');
    await transport.end(true);
    expect(cluster.calls.filter((c) => !c.startsWith('find'))).toEqual([
      'initProducerId app-0 45000',
      'addPartitionsToTxn e1 t/0',
      'produce t/0',
      'endTxn abort e1',
      'addPartitionsToTxn e1 t/0',
      'produce t/0',
      'endTxn commit e1',
    ]);
  });

  it('retries CONCURRENT_TRANSACTIONS and a loading coordinator, and finds a moved coordinator again', async () => {
    const { cluster, transport } = setup();
    cluster.errors.set('initProducerId', [protocolError('CONCURRENT_TRANSACTIONS', 51)]);
    cluster.errors.set('addPartitionsToTxn', [
      protocolError('CONCURRENT_TRANSACTIONS', 51),
      protocolError('COORDINATOR_LOAD_IN_PROGRESS', 14, true),
    ]);
    cluster.errors.set('endTxn', [protocolError('NOT_COORDINATOR', 16, true)]);
    await transport.open();
    transport.begin();
    const [outcome] = await transport.produce([await part(0)], ALL, 'none');
    expect(outcome.error).toBeUndefined();
    await transport.end(true);
    expect(cluster.calls.filter((c) => !c.startsWith('find'))).toEqual([
      'initProducerId app-0 45000',
      'initProducerId app-0 45000',
      'addPartitionsToTxn e1 t/0',
      'addPartitionsToTxn e1 t/0',
      'addPartitionsToTxn e1 t/0',
      'produce t/0',
      'endTxn commit e1',
      'endTxn commit e1',
    ]);
    // Once at the start, once after NOT_COORDINATOR.
    expect(cluster.coordinatorLookups).toBe(2);
  });

  it('is fenced for good by INVALID_PRODUCER_EPOCH on a batch or PRODUCER_FENCED from the coordinator', async () => {
    const a = setup();
    await a.transport.open();
    a.transport.begin();
    a.cluster.errors.set('produce', [protocolError('INVALID_PRODUCER_EPOCH', 47)]);
    const [outcome] = await a.transport.produce([await part(0)], ALL, 'none');
    expect(outcome.error).toBeInstanceOf(TransactionFencedError);
    expect(outcome.error!.retriable).toBe(false);
    await expect(a.transport.end(false)).rejects.toBeInstanceOf(TransactionFencedError);
    expect(() => a.transport.begin()).toThrow(TransactionFencedError);

    const b = setup();
    await b.transport.open();
    b.transport.begin();
    await b.transport.produce([await part(0)], ALL, 'none');
    b.cluster.errors.set('endTxn', [protocolError('KAFKA_UNKNOWN_ERROR', 90)]);
    await expect(b.transport.end(true)).rejects.toBeInstanceOf(TransactionFencedError);
    await expect(b.transport.init()).rejects.toBeInstanceOf(TransactionFencedError);
  });

  it('names the topic the principal may not write when AddPartitionsToTxn of several topics is refused', async () => {
    const { cluster, transport } = setup();
    cluster.refusedTopic = 'u';
    await transport.open();
    transport.begin();
    const outcomes = await transport.produce([await part(0), await part(1, 2, 'u')], ALL, 'none');
    for (const { error } of outcomes) {
      expect(error).toBeInstanceOf(AuthorizationError);
      expect(error).toMatchObject({ resource: 'topic', topic: 'u', retriable: false });
    }
    expect(cluster.calls.filter((c) => c.startsWith('add'))).toEqual([
      'addPartitionsToTxn e1 t/0 u/1',
      'addPartitionsToTxn e1 t/0',
      'addPartitionsToTxn e1 u/1',
    ]);
    expect(cluster.sent).toEqual([]);
  });

  it('fails batches for good outside a transaction and after a refused numbering', async () => {
    const { cluster, transport } = setup();
    await transport.open();
    const [outside] = await transport.produce([await part(0)], ALL, 'none');
    expect(outside.error).toBeInstanceOf(SendFailedError);
    expect(outside.error!.retriable).toBe(false);
    transport.begin();
    cluster.errors.set('produce', [protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER', 45)]);
    const [refused] = await transport.produce([await part(1)], ALL, 'none');
    expect(refused.error).toMatchObject({
      retriable: false,
      brokerError: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    });
  });

  it('sends offsets to the transaction coordinator, then commits them at the group coordinator', async () => {
    const { cluster, transport } = setup();
    await transport.open();
    transport.begin();
    await transport.sendOffsets('g', [
      { topic: 'in', partitions: [{ partition: 0, offset: '8' }] },
    ]);
    await transport.end(true);
    expect(cluster.calls.slice(2)).toEqual([
      'addOffsetsToTxn g',
      'findCoordinator type 0',
      'txnOffsetCommit g in/0@8',
      'endTxn commit e1',
    ]);
  });

  it('takes a new epoch on init(), numbering from 0 again', async () => {
    const { cluster, transport } = setup();
    await transport.open();
    transport.begin();
    await transport.produce([await part(0, 5)], ALL, 'none');
    await transport.end(false);
    await transport.init();
    transport.begin();
    await transport.produce([await part(0)], ALL, 'none');
    expect(cluster.sent.map((s) => `e${s.epoch}:${s.sequence}`)).toEqual(['e1:0', 'e2:0']);
  });
});
