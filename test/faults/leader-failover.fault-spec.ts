import type { KafkaCluster } from '../../tools/kafka/harness.js';
import { uniqueTopic } from '../support/kafka-env.js';
import {
  bootProducer,
  cleanupScenario,
  createFaultTopic,
  EventStream,
  finishScenario,
  fullIsr,
  healCluster,
  ledWithout,
  partitionState,
  print,
  printTable,
  sleep,
  startFaultCluster,
  waitForPartitions,
} from './support/scenario.js';

/**
 * docs/reliability.md: F1, F2, F4 on one 3-broker cluster (RF 3, min.insync.replicas 2, unclean
 * leader election off), a fresh topic of 3 partitions per scenario. A steady stream of keyed,
 * numbered events runs while the partition leader is killed, paused or killed under acks 0.
 */

/** Slack on top of the delivery timeout before a send counts as hung (shared 2-core machine). */
const HANG_MARGIN_MS = 5000;

describe('faults: partition leader crash and pause', () => {
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
    printTable();
    await cluster?.stop();
  }, 60_000);

  /** Kills the leader of partition 0, waits for the failover, restarts it, waits for full ISR. */
  async function killAndRestartLeader(topic: string, label: string): Promise<void> {
    const leader = (await partitionState(direct, topic))[0].leader;
    const t0 = Date.now();
    await cluster.kill(leader);
    await waitForPartitions(direct, topic, `leaders other than ${leader}`, ledWithout(leader));
    const failover = Date.now() - t0;
    await sleep(1000); // the stream runs on the new leaders for a while
    await cluster.restart(leader);
    await waitForPartitions(direct, topic, 'full ISR', fullIsr(), 90_000);
    print(
      `[fault] ${label}: killed leader ${leader}, failover ${failover} ms, back in ISR after ${Date.now() - t0} ms`,
    );
  }

  it('F1: SIGKILL the partition leader mid-stream and restart it, 3 times; acks all + idempotent: 0 lost, 0 duplicated, 0 reordered', async () => {
    const topic = uniqueTopic('fault-f1');
    await createFaultTopic(direct, topic);
    const deliveryTimeoutMs = 30_000;
    const booted = await bootProducer({
      brokers: direct,
      reliability: 'all',
      producer: { deliveryTimeoutMs, requestTimeoutMs: 5000 },
    });
    const stream = new EventStream(booted.producer, topic);
    stream.start(10, 2);
    expect(await stream.waitForAcked(200)).toBe(true);
    for (let round = 1; round <= 3; round++) {
      await killAndRestartLeader(topic, `F1 round ${round}`);
      const acked = stream.count('acked');
      await stream.waitForAcked(acked + 100, deliveryTimeoutMs);
    }
    const report = await finishScenario('F1', stream, booted, {
      checkBrokers: direct,
      hangBoundMs: deliveryTimeoutMs + HANG_MARGIN_MS,
    });
    expect(report.acked).toBeGreaterThan(500);
    expect(report).toMatchObject({
      lost: 0,
      duplicated: 0,
      reordered: 0,
      hung: 0,
      misreported: 0,
      splitKeys: 0,
      foreign: 0,
    });
  }, 300_000);

  it('F2: SIGSTOP the leader for 20 s, then SIGCONT: sends time out or are retried; 0 lost, 0 hung', async () => {
    const topic = uniqueTopic('fault-f2');
    await createFaultTopic(direct, topic);
    // Shorter than the pause: sends caught by it either get retried on the new leader in time
    // or reject with DeliveryTimeoutError; none may hang, none that resolved may be missing.
    const deliveryTimeoutMs = 15_000;
    const booted = await bootProducer({
      brokers: direct,
      reliability: 'all',
      producer: { deliveryTimeoutMs, requestTimeoutMs: 5000 },
    });
    const stream = new EventStream(booted.producer, topic);
    stream.start(10, 2);
    expect(await stream.waitForAcked(200)).toBe(true);
    const leader = (await partitionState(direct, topic))[0].leader;
    const pausedAt = Date.now();
    cluster.pause(leader);
    try {
      await sleep(20_000);
    } finally {
      cluster.resume(leader);
    }
    print(`[fault] F2: paused broker ${leader} for ${Date.now() - pausedAt} ms`);
    await cluster.waitUntilReady(leader);
    await waitForPartitions(direct, topic, 'full ISR', fullIsr(), 90_000);
    const acked = stream.count('acked');
    await stream.waitForAcked(acked + 100, deliveryTimeoutMs);
    const report = await finishScenario('F2', stream, booted, {
      checkBrokers: direct,
      hangBoundMs: deliveryTimeoutMs + HANG_MARGIN_MS,
    });
    expect(report.acked).toBeGreaterThan(300);
    // The pause did catch sends: they timed out, or took longer than a request timeout (retried).
    const caught = stream.records.filter(
      (r) => r.status === 'rejected' || r.settledAt! - r.startedAt > 5000,
    );
    expect(caught.length).toBeGreaterThan(0);
    expect(Object.keys(report.errors).filter((e) => e !== 'DeliveryTimeoutError')).toEqual([]);
    // Idempotence holds throughout, so the general pass rule applies too: no duplicate, no reorder.
    expect(report).toMatchObject({
      lost: 0,
      hung: 0,
      duplicated: 0,
      reordered: 0,
      misreported: 0,
      foreign: 0,
    });
  }, 300_000);

  it('F4: acks 0 (fire-and-forget) while the leader is killed: the loss is counted and reported', async () => {
    const topic = uniqueTopic('fault-f4');
    await createFaultTopic(direct, topic);
    const deliveryTimeoutMs = 30_000;
    const booted = await bootProducer({
      brokers: direct,
      reliability: 'fire-and-forget',
      producer: { deliveryTimeoutMs, requestTimeoutMs: 5000 },
    });
    const stream = new EventStream(booted.producer, topic);
    stream.start(10, 2);
    expect(await stream.waitForAcked(200)).toBe(true);
    await killAndRestartLeader(topic, 'F4');
    await sleep(2000);
    const report = await finishScenario('F4', stream, booted, {
      checkBrokers: direct,
      acksZero: true,
      hangBoundMs: deliveryTimeoutMs + HANG_MARGIN_MS,
    });
    // The loss is computed, not hidden: cross-check it against the plain count of what is missing.
    // sent = acked + rejected (none hung), found = acked found + rejected found.
    expect(report.hung).toBe(0);
    expect(report.lost).toBe(
      report.sent - report.found - (report.rejected - report.rejectedButStored),
    );
    expect(report.lost).toBeGreaterThanOrEqual(0);
    expect(report.acked).toBeGreaterThan(0);
    print(
      `[fault] F4: ${report.lost} of ${report.acked} fire-and-forget sends that resolved are not on the topic`,
    );
  }, 300_000);
});
