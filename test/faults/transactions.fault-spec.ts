import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { KafkaProducerModule, ProducerService } from '../../lib/index.js';
import type { KafkaCluster } from '../../tools/kafka/harness.js';
import { uniqueTopic } from '../support/kafka-env.js';
import { parseEvent, reportLine, type ScenarioReport } from './support/checks.js';
import {
  CapturedLogs,
  cleanupScenario,
  closeApp,
  createFaultTopic,
  FaultEvent,
  fullIsr,
  healCluster,
  partitionState,
  print,
  sleep,
  startFaultCluster,
  waitForPartitions,
} from './support/scenario.js';

/**
 * docs/reliability.md: F13, modelled on Kafka's own transactions_test: a consume-transform-
 * produce copier (kafkajs consumer, read_committed, offsets committed inside each transaction
 * with sendOffsets) copies 20,001 records of a 3-partition input topic to an output topic,
 * 100 records per transaction, through twelve faults from 20% of the progress on: three
 * rounds of a SIGKILL of an output partition's leader, a SIGKILL of the transaction
 * coordinator's broker, a SIGSTOP of an output partition's leader and a SIGSTOP of the
 * coordinator's broker. The copier does not pass a fault's share of the progress before that
 * fault has begun, so every fault hits a running copy. The output read read_committed must
 * equal the input as a set, with no duplicate and every input partition's order kept.
 */

/** Per input partition: the 20,000 records, rounded up to a multiple of 3. */
const PER_PARTITION = 6667;
const RECORDS = 3 * PER_PARTITION;
const PER_TRANSACTION = 100;
/** Pause between two transactions of one input partition. */
const PACE_MS = 300;
/** A SIGSTOPped broker stays stopped this long (past the request timeout, within the transaction timeout). */
const STOP_MS = 8000;
/** The faults, in order, each begun once this share of the records is committed. */
const FAULTS = [0, 1, 2].flatMap(
  () => ['kill-leader', 'kill-coordinator', 'stop-leader', 'stop-coordinator'] as const,
);
const SHARES = FAULTS.map((_, i) => 0.2 + (0.65 * i) / (FAULTS.length - 1));
const TRANSACTION_TIMEOUT_MS = 20_000;
/** A transaction with no answer after this long counts as hung. */
const HANG_BOUND_MS = 60_000 + TRANSACTION_TIMEOUT_MS;

/** Java's `Utils.abs(transactionalId.hashCode()) % partitions`: the coordinator's partition. */
function transactionStatePartition(transactionalId: string, partitions: number): number {
  let hash = 0;
  for (let i = 0; i < transactionalId.length; i++) {
    hash = (Math.imul(hash, 31) + transactionalId.charCodeAt(i)) | 0;
  }
  return (hash & 0x7fffffff) % partitions;
}

/** The broker that coordinates `transactionalId`'s transactions now. */
async function coordinatorOf(brokers: string[], transactionalId: string): Promise<number> {
  const state = await partitionState(brokers, '__transaction_state');
  return state[transactionStatePartition(transactionalId, state.length)].leader;
}

describe('faults: transactions (consume-transform-produce)', () => {
  let cluster: KafkaCluster;
  let direct: string[];

  beforeAll(async () => {
    cluster = await startFaultCluster();
    direct = cluster.bootstrap.split(',');
  }, 180_000);

  afterEach(async () => {
    await cleanupScenario();
    if (cluster) await healCluster(cluster);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it(`F13: copies ${RECORDS} records, ${PER_TRANSACTION} per transaction, through ${FAULTS.length} faults (leader and coordinator SIGKILLed and SIGSTOPped, 3 times each): output = input, 0 duplicated, order kept`, async () => {
    const input = uniqueTopic('fault-f13-in');
    const output = uniqueTopic('fault-f13-out');
    await createFaultTopic(direct, input);
    await createFaultTopic(direct, output);
    const kafka = new Kafka({ clientId: 'f13', brokers: direct, logLevel: logLevel.NOTHING });

    // The input: per partition, records numbered in offset order.
    const feeder = kafka.producer({ idempotent: true });
    await feeder.connect();
    const run = randomBytes(3).toString('hex');
    for (let p = 0; p < 3; p++) {
      const messages = Array.from({ length: PER_PARTITION }, (_, seq) => ({
        key: `in-${p}`,
        value: JSON.stringify({ id: `${run}-${p}-${seq}`, key: `in-${p}`, seq }),
        partition: p,
      }));
      for (let i = 0; i < messages.length; i += 500) {
        await feeder.send({ topic: input, acks: -1, messages: messages.slice(i, i + 500) });
      }
    }
    await feeder.disconnect();

    // The copier.
    const prefix = `f13-${run}`;
    const logs = new CapturedLogs();
    const app = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers: direct, clientId: 'f13-copier' },
          transactionalIdPrefix: prefix,
          transactionalProducers: 3,
          transactionTimeoutMs: TRANSACTION_TIMEOUT_MS,
          producer: { requestTimeoutMs: 5000, deliveryTimeoutMs: 15_000, maxBlockMs: 60_000 },
        }),
      ],
    })
      .setLogger(logs)
      .compile();
    app.useLogger(logs);
    await app.init();
    const producer = app.get(ProducerService);
    const groupId = `f13-${run}`;
    const consumer: Consumer = kafka.consumer({
      groupId,
      maxWaitTimeInMs: 100,
      sessionTimeout: 30_000,
      retry: { retries: 20 },
    });
    let committed = 0;
    let transactions = 0;
    let aborted = 0;
    const errors: Record<string, number> = {};
    const open = new Map<number, number>(); // transaction number → start time
    let hung = 0;
    let maxSettleMs = 0;
    let begun = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));

    await consumer.connect();
    await consumer.subscribe({ topics: [input], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let i = 0; i < batch.messages.length; i += PER_TRANSACTION) {
          // Not past a fault's share of the progress before that fault has begun.
          while (begun < FAULTS.length && committed >= RECORDS * SHARES[begun]) {
            await sleep(250);
            await heartbeat().catch(() => undefined);
          }
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(i, i + PER_TRANSACTION);
          const last = chunk[chunk.length - 1].offset;
          const n = ++transactions;
          const started = Date.now();
          open.set(n, started);
          try {
            await producer.transaction(async (tx) => {
              await tx.sendMany(
                chunk.map((m) => Object.assign(new FaultEvent(), parseEvent(m.value))),
                { topic: output },
              );
              await tx.sendOffsets({
                consumerGroupId: groupId,
                topics: [
                  {
                    topic: input,
                    partitions: [{ partition: batch.partition, offset: String(BigInt(last) + 1n) }],
                  },
                ],
              });
            });
            committed += chunk.length;
            resolveOffset(last);
          } catch (error) {
            aborted++;
            const name = error instanceof Error ? error.constructor.name : typeof error;
            errors[name] = (errors[name] ?? 0) + 1;
            // Again from the first record of the failed transaction (its offsets did not commit).
            consumer.seek({ topic: input, partition: batch.partition, offset: chunk[0].offset });
            await sleep(500);
            return;
          } finally {
            const took = Date.now() - started;
            maxSettleMs = Math.max(maxSettleMs, took);
            if (took > HANG_BOUND_MS) hung++;
            open.delete(n);
          }
          if (committed >= RECORDS) done();
          await heartbeat().catch(() => undefined);
          await sleep(PACE_MS);
        }
      },
    });

    // The faults, in turn, each once the copy has gone on past its share; a killed broker is
    // restarted after 3 s and the next fault waits for a full ISR again.
    const progress = async (share: number) => {
      while (committed < RECORDS * share) await sleep(100);
    };
    const faults = (async () => {
      for (let i = 0; i < FAULTS.length; i++) {
        await progress(SHARES[i]);
        const fault = FAULTS[i];
        const target = fault.endsWith('coordinator')
          ? await coordinatorOf(direct, `${prefix}-0`)
          : (await partitionState(direct, output))[i % 3].leader;
        const what = fault.endsWith('coordinator')
          ? `the coordinator of ${prefix}-0`
          : `output partition ${i % 3}'s leader`;
        if (fault.startsWith('kill')) await cluster.kill(target);
        else cluster.pause(target);
        begun++;
        print(
          `[fault] F13: ${fault.startsWith('kill') ? 'SIGKILLed' : 'SIGSTOPped'} broker ${target} ` +
            `(${what}) at ${committed} (fault ${i + 1} of ${FAULTS.length})`,
        );
        if (fault.startsWith('kill')) {
          await sleep(3000);
          await cluster.restart(target);
        } else {
          await sleep(STOP_MS);
          cluster.resume(target);
        }
        await waitForPartitions(direct, output, 'full ISR', fullIsr(), 90_000);
      }
    })();

    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, 420_000)));
    await Promise.race([finished, bound]).finally(() => clearTimeout(timer));
    await faults;
    await consumer.disconnect();
    for (const started of open.values()) if (Date.now() - started > HANG_BOUND_MS) hung++;
    await closeApp(app);

    // The output, read read_committed by an independent consumer.
    const reader = kafka.consumer({ groupId: `f13-reader-${run}`, maxWaitTimeInMs: 100 });
    const seen: Array<{ partition: number; offset: bigint; id: string; key: string; seq: number }> =
      [];
    const ids = new Set<string>();
    let enough!: () => void;
    const all = new Promise<void>((resolve) => (enough = resolve));
    await reader.connect();
    await reader.subscribe({ topics: [output], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ partition, message }) => {
        const value = parseEvent(message.value);
        if (!value) return;
        seen.push({ partition, offset: BigInt(message.offset), ...value });
        ids.add(value.id);
        if (ids.size >= RECORDS) enough();
      },
    });
    const readBound = new Promise<void>((resolve) => (timer = setTimeout(resolve, 60_000)));
    await Promise.race([all, readBound]).finally(() => clearTimeout(timer));
    await sleep(2000); // time for copies that should not be there
    await reader.disconnect();

    const expected = new Set<string>();
    for (let p = 0; p < 3; p++) {
      for (let seq = 0; seq < PER_PARTITION; seq++) expected.add(`${run}-${p}-${seq}`);
    }
    const lost = [...expected].filter((id) => !ids.has(id)).length;
    const duplicated = seen.length - ids.size;
    let reordered = 0;
    const lastSeq = new Map<string, number>();
    for (const r of [...seen].sort(
      (a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1),
    )) {
      const before = lastSeq.get(r.key) ?? -1;
      if (r.seq <= before) reordered++;
      lastSeq.set(r.key, Math.max(before, r.seq));
    }
    const foreign = [...ids].filter((id) => !expected.has(id)).length;
    const report: ScenarioReport = {
      scenario: 'F13',
      sent: RECORDS,
      acked: committed,
      lost,
      duplicated,
      reordered,
      hung,
      rejected: aborted,
      found: ids.size,
      rejectedButStored: 0,
      misreported: 0,
      splitKeys: 0,
      foreign,
      errors,
      maxSettleMs,
      hangBoundMs: HANG_BOUND_MS,
      samples: [],
    };
    print('[fault] scenario sent acked lost duplicated reordered hung');
    print(`[fault] ${reportLine(report)}`);
    print(
      `[fault]   transactions=${transactions} aborted=${aborted} (${JSON.stringify(errors)}) ` +
        `maxSettleMs=${maxSettleMs} read=${seen.length}`,
    );
    if (lost + duplicated + reordered + hung > 0) print(`[fault]   copier log:\n${logs.tail()}`);
    expect(report).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, hung: 0, foreign: 0 });
    expect(committed).toBeGreaterThanOrEqual(RECORDS);
    expect(begun).toBe(FAULTS.length);
  }, 600_000);
});
