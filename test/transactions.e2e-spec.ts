import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import {
  InvalidPartitionError,
  KafkaEvent,
  KafkaProducerModule,
  KafkaTransactional,
  KeyedBy,
  ProducerService,
  Reliability,
  TransactionAbortedError,
  TransactionFencedError,
  TransactionUsageError,
  type KafkaProducerModuleOptions,
} from '../lib/index.js';
import { javaConsoleConsume } from './support/java-tools.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { topicRecordCount } from './support/read-topic.js';

const topic = uniqueTopic('tx-moved');
const leaderTopic = uniqueTopic('tx-leader');

@KafkaEvent(topic)
@KeyedBy('id')
class Moved {
  @IsString() id!: string;
  static of(id: string): Moved {
    return Object.assign(new Moved(), { id });
  }
}

@KafkaEvent(leaderTopic)
@Reliability('leader')
class LeaderOnly {
  @IsString() id!: string;
}

/** A service whose methods are transactions of the default producer. */
class Transfers {
  constructor(private readonly producer: ProducerService) {}

  @KafkaTransactional()
  async move(on: string, ids: string[], fail = false): Promise<number> {
    await this.producer.send(Moved.of(ids[0]), { topic: on });
    await this.producer.sendMany(
      ids.slice(1).map((id) => Moved.of(id)),
      { topic: on },
    );
    if (fail) throw new Error('transfer failed');
    return ids.length;
  }
}

/** What an independent kafkajs consumer reads of `topics` from the beginning (values as text). */
async function values(
  brokers: string[],
  on: string,
  count: number,
  isolation: 'read_committed' | 'read_uncommitted',
): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'e2e-tx-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `e2e-tx-reader-${randomBytes(6).toString('hex')}`,
    readUncommitted: isolation === 'read_uncommitted',
    maxWaitTimeInMs: 100,
  });
  const got: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [on], fromBeginning: true });
    let done!: () => void;
    const enough = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push(JSON.parse(message.value!.toString()).id as string);
        if (got.length >= count) done();
      },
    });
    const timer = setTimeout(done, 30_000);
    await enough;
    clearTimeout(timer);
    // Anything that should not be there has had time to arrive (the control records after it did).
    await new Promise((resolve) => setTimeout(resolve, 500));
    return got;
  } finally {
    await consumer.disconnect();
  }
}

/** Starts one app instance with a producer of `options`. */
async function start(
  brokers: string[],
  options: Partial<KafkaProducerModuleOptions>,
): Promise<{ app: INestApplicationContext; producer: ProducerService }> {
  const ref = await Test.createTestingModule({
    imports: [KafkaProducerModule.forRoot({ client: { brokers, clientId: 'e2e-tx' }, ...options })],
  }).compile();
  const app = await ref.init();
  return { app, producer: app.get(ProducerService) };
}

describe('transactions against a real broker', () => {
  const brokers = testBrokers();
  const prefix = `e2e-tx-${randomBytes(4).toString('hex')}`;
  let app: INestApplicationContext;
  let producer: ProducerService;

  beforeAll(async () => {
    await createTopic(brokers, topic, 3);
    await createTopic(brokers, leaderTopic, 1);
    ({ app, producer } = await start(brokers, {
      transactionalIdPrefix: prefix,
      transactionalProducers: 2,
    }));
  });

  afterAll(() => app.close());

  it('commits: read_committed consumers (kafkajs, Java) see every record; an abort shows none of its records', async () => {
    const value = await producer.transaction(async (tx) => {
      const one = await tx.send(Moved.of('c1'));
      const more = await tx.sendMany([Moved.of('c2'), Moved.of('c3')]);
      return [one, ...more].map((r) => r.offset);
    });
    expect(value).toHaveLength(3);
    const boom = new Error('the handler failed');
    await expect(
      producer.transaction(async (tx) => {
        await tx.sendMany([Moved.of('a1'), Moved.of('a2')]);
        throw boom;
      }),
    ).rejects.toBe(boom);
    // A send that fails inside the callback (caught there) still aborts the transaction.
    const failed = producer.transaction(async (tx) => {
      await tx.send(Moved.of('a3'));
      await tx.send(Moved.of('a4'), { partition: 99 }).catch(() => undefined);
      return 'not committed';
    });
    await expect(failed).rejects.toBeInstanceOf(TransactionAbortedError);
    await expect(failed).rejects.toHaveProperty('cause', expect.any(InvalidPartitionError));
    await producer.transaction(async (tx) => tx.send(Moved.of('c4')));

    const committed = ['c1', 'c2', 'c3', 'c4'];
    expect((await values(brokers, topic, 4, 'read_committed')).sort()).toEqual(committed);
    const java = await javaConsoleConsume({
      bootstrap: brokers.join(','),
      topic,
      maxMessages: 7,
      isolationLevel: 'read_committed',
      timeoutMs: 5000,
      allowFewer: true,
    });
    expect(java.map((r) => JSON.parse(r.value!).id as string).sort()).toEqual(committed);
    // The aborted records are on the log: a read_uncommitted consumer sees them.
    const uncommitted = await values(brokers, topic, 7, 'read_uncommitted');
    expect(uncommitted.sort()).toEqual(['a1', 'a2', 'a3', 'c1', 'c2', 'c3', 'c4']);
  });

  it("sendOffsets commits the group's offsets only when the transaction commits", async () => {
    const groupId = `e2e-tx-group-${randomBytes(4).toString('hex')}`;
    const admin = new Kafka({
      clientId: 'e2e-tx-admin',
      brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const offsetsOf = async () =>
        (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions
          .map((p) => `${p.partition}:${p.offset}`)
          .sort();
      const offsets = (offset: string) => ({
        consumerGroupId: groupId,
        topics: [
          {
            topic,
            partitions: [
              { partition: 0, offset },
              { partition: 1, offset },
            ],
          },
        ],
      });
      await expect(
        producer.transaction(async (tx) => {
          await tx.sendOffsets(offsets('5'));
          throw new Error('aborted');
        }),
      ).rejects.toThrow('aborted');
      expect(await offsetsOf()).toEqual(['0:-1', '1:-1', '2:-1']);
      await producer.transaction((tx) => tx.sendOffsets(offsets('7')));
      // The coordinator answers EndTxn once the commit is decided and writes the markers
      // after it, so an OffsetFetch without requireStable may still see the old offsets
      // for a moment: read until the commit shows (or 15 s pass).
      const deadline = Date.now() + 15_000;
      let seen = await offsetsOf();
      while (seen.join() !== '0:7,1:7,2:-1' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        seen = await offsetsOf();
      }
      expect(seen).toEqual(['0:7', '1:7', '2:-1']);
    } finally {
      await admin.disconnect();
    }
  });

  it('runs concurrent transactions side by side on the pool, each committed once', async () => {
    const on = uniqueTopic('tx-pool');
    await createTopic(brokers, on, 3);
    const ids = Array.from({ length: 6 }, (_, i) => `p${i}`);
    await Promise.all(
      ids.map((id) =>
        producer.transaction((tx) =>
          tx.sendMany([Moved.of(`${id}-a`), Moved.of(`${id}-b`)], { topic: on }),
        ),
      ),
    );
    const want = ids.flatMap((id) => [`${id}-a`, `${id}-b`]).sort();
    expect((await values(brokers, on, 12, 'read_committed')).sort()).toEqual(want);
    expect(await topicRecordCount(brokers, on)).toBeGreaterThanOrEqual(12);
  });

  it('@KafkaTransactional(): the sends inside the method commit together, or abort when it throws', async () => {
    const on = uniqueTopic('tx-decorated');
    await createTopic(brokers, on, 3);
    const transfers = new Transfers(producer);
    await expect(transfers.move(on, ['d1', 'd2', 'd3'])).resolves.toBe(3);
    await expect(transfers.move(on, ['x1', 'x2'], true)).rejects.toThrow('transfer failed');
    await expect(transfers.move(on, ['d4', 'd5'])).resolves.toBe(2);
    expect((await values(brokers, on, 5, 'read_committed')).sort()).toEqual([
      'd1',
      'd2',
      'd3',
      'd4',
      'd5',
    ]);
    expect((await values(brokers, on, 7, 'read_uncommitted')).sort()).toContain('x2');
  });

  it('refuses bad input with TransactionUsageError and sends nothing', async () => {
    const plain = await start(brokers, {});
    try {
      await expect(plain.producer.transaction(async () => 1)).rejects.toMatchObject({
        name: 'TransactionUsageError',
        reason: 'not-configured',
      });
    } finally {
      await plain.app.close();
    }
    const leader = Object.assign(new LeaderOnly(), { id: 'l1' });
    await expect(producer.transaction((tx) => tx.send(leader))).rejects.toMatchObject({
      reason: 'reliability',
    });
    await expect(
      producer.transaction((tx) => tx.send(Moved.of('x'), { reliability: 'fire-and-forget' })),
    ).rejects.toBeInstanceOf(TransactionUsageError);
    let kept: { send(event: object): Promise<unknown> } | undefined;
    await producer.transaction(async (tx) => {
      kept = tx;
    });
    await expect(kept!.send(Moved.of('late'))).rejects.toMatchObject({ reason: 'finished' });
    await expect(
      producer.transaction(() => producer.transaction(async () => 1)),
    ).rejects.toMatchObject({ reason: 'nested' });
    expect(await topicRecordCount(brokers, leaderTopic)).toBe(0);
  });

  it('fences the older of two instances with the same prefix: TransactionFencedError, nothing written twice', async () => {
    const on = uniqueTopic('tx-fence');
    await createTopic(brokers, on, 3);
    const shared = `e2e-tx-shared-${randomBytes(4).toString('hex')}`;
    const older = await start(brokers, {
      transactionalIdPrefix: shared,
      transactionalProducers: 1,
    });
    try {
      await older.producer.transaction((tx) => tx.send(Moved.of('old-1'), { topic: on }));
      const newer = await start(brokers, {
        transactionalIdPrefix: shared,
        transactionalProducers: 1,
      });
      try {
        const zombie = older.producer.transaction((tx) =>
          tx.send(Moved.of('old-2'), { topic: on }),
        );
        await expect(zombie).rejects.toBeInstanceOf(TransactionFencedError);
        await expect(
          older.producer.transaction((tx) => tx.send(Moved.of('old-3'), { topic: on })),
        ).rejects.toBeInstanceOf(TransactionFencedError);
        await newer.producer.transaction((tx) => tx.send(Moved.of('new-1'), { topic: on }));
      } finally {
        await newer.app.close();
      }
    } finally {
      await older.app.close();
    }
    const seen = await values(brokers, on, 2, 'read_committed');
    expect(seen.sort()).toEqual(['new-1', 'old-1']);
  });
});
