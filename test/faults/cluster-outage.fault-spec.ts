import { DeliveryTimeoutError, KafkaProducerError } from '../../lib/index.js';
import type { KafkaCluster } from '../../tools/kafka/harness.js';
import { uniqueTopic } from '../support/kafka-env.js';
import { errorName, type SendRecord } from './support/checks.js';
import {
  bootProducer,
  cleanupScenario,
  createFaultTopic,
  closeApp,
  describeFailures,
  EventStream,
  finishScenario,
  fullIsr,
  healCluster,
  print,
  printTable,
  sleep,
  startFaultCluster,
  waitForPartitions,
} from './support/scenario.js';

/**
 * docs/reliability.md: F11 (app.close() during a burst), F12 (brokers restarted while the app idles)
 * and F5 (the whole cluster down longer than the delivery timeout, no outbox) on one 3-broker
 * cluster, a fresh topic per scenario.
 */

/** Slack on top of the delivery timeout before a send counts as hung (shared 2-core machine). */
const HANG_MARGIN_MS = 5000;

describe('faults: shutdown, restarts and a whole-cluster outage', () => {
  let cluster: KafkaCluster;
  let direct: string[];
  const ids = () => cluster.brokers.map((b) => b.id);

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

  async function newTopic(prefix: string): Promise<string> {
    const topic = uniqueTopic(prefix);
    await createFaultTopic(direct, topic);
    return topic;
  }

  // F11 -------------------------------------------------------------------------------------

  for (const [name, shutdownTimeoutMs] of [
    ['F11', 30_000],
    // Too short to finish the burst (300 ms was enough for all 10k once records were
    // encoded by the module): the rest must be rejected with an error, not dropped.
    ['F11-short', 20],
  ] as const) {
    it(`${name}: app.close() during a 10k-event burst (shutdownTimeoutMs ${shutdownTimeoutMs}): each record acked or rejected with an error, none dropped`, async () => {
      const topic = await newTopic(`fault-${name.toLowerCase()}`);
      const deliveryTimeoutMs = 30_000;
      const booted = await bootProducer({
        brokers: direct,
        reliability: 'all',
        producer: { deliveryTimeoutMs, requestTimeoutMs: 10_000 },
        shutdownTimeoutMs,
      });
      const stream = new EventStream(booted.producer, topic, 100);
      stream.burst(10_000);
      // Close once the first records are acked, so the burst is partly acked, partly in flight
      // and partly still waiting in the accumulator.
      expect(await stream.waitForAcked(1, deliveryTimeoutMs)).toBe(true);
      const ackedAtClose = stream.count('acked');
      const closeStarted = Date.now();
      await closeApp(booted.app);
      await sleep(100); // let the settled promises' callbacks run
      const closeMs = Date.now() - closeStarted;
      const pendingAfterClose = stream.unsettled;
      print(
        `[fault] ${name}: close() took ${closeMs} ms; ${ackedAtClose} acked when it was called, ` +
          `${pendingAfterClose} unsettled after it returned`,
      );
      const report = await finishScenario(name, stream, booted, {
        checkBrokers: direct,
        hangBoundMs: deliveryTimeoutMs + HANG_MARGIN_MS,
        close: false,
      });
      // None dropped: once close() returned, every send had its answer.
      expect(pendingAfterClose).toBe(0);
      expect(report.acked + report.rejected).toBe(report.sent);
      expect(report.sent).toBe(10_000);
      const rejections = stream.records.filter((r) => r.status === 'rejected');
      for (const r of rejections) expect(r.error).toBeInstanceOf(KafkaProducerError);
      // The short timeout must really cut the burst short, or this case proves nothing.
      if (name === 'F11-short') expect(rejections.length).toBeGreaterThan(0);
      expect(report).toMatchObject({
        lost: 0,
        duplicated: 0,
        reordered: 0,
        hung: 0,
        misreported: 0,
        foreign: 0,
      });
    }, 240_000);
  }

  // F12 -------------------------------------------------------------------------------------

  for (const [name, how] of [
    ['F12-rolling', 'one by one (SIGTERM, start, wait for full ISR)'],
    ['F12-together', 'all at once (SIGKILL all, start all)'],
  ] as const) {
    it(`${name}: every broker restarted ${how} while the app idles: the next send succeeds without restarting the app`, async () => {
      const topic = await newTopic(`fault-${name.toLowerCase()}`);
      const deliveryTimeoutMs = 30_000;
      const hangBoundMs = deliveryTimeoutMs + HANG_MARGIN_MS;
      const booted = await bootProducer({
        brokers: direct,
        reliability: 'all',
        producer: { deliveryTimeoutMs, requestTimeoutMs: 10_000 },
      });
      const stream = new EventStream(booted.producer, topic);
      stream.burst(30);
      await stream.settled(hangBoundMs);
      expect(stream.count('acked')).toBe(30);

      const t0 = Date.now();
      if (name === 'F12-rolling') {
        for (const id of ids()) {
          await cluster.restart(id);
          await waitForPartitions(direct, topic, 'full ISR', fullIsr(), 90_000);
        }
      } else {
        await Promise.all(ids().map((id) => cluster.kill(id)));
        await Promise.all(ids().map((id) => cluster.restart(id)));
        await waitForPartitions(direct, topic, 'full ISR', fullIsr(), 90_000);
      }
      print(`[fault] ${name}: brokers restarted, full ISR after ${Date.now() - t0} ms; app idle`);
      await sleep(2000);

      const next = stream.send();
      await stream.settled(hangBoundMs);
      const tookMs = (next.settledAt ?? Date.now()) - next.startedAt;
      print(
        `[fault] ${name}: next send ${next.status} after ${tookMs} ms ${describeFailures([next])}`,
      );
      stream.burst(30);
      const report = await finishScenario(name, stream, booted, {
        checkBrokers: direct,
        hangBoundMs,
      });
      expect(next.status).toBe('acked');
      expect(tookMs).toBeLessThanOrEqual(deliveryTimeoutMs);
      expect(report).toMatchObject({
        sent: 61,
        acked: 61,
        lost: 0,
        duplicated: 0,
        reordered: 0,
        hung: 0,
        misreported: 0,
      });
    }, 300_000);
  }

  // F5 --------------------------------------------------------------------------------------

  for (const [name, how] of [
    ['F5-kill', 'SIGKILL all brokers'],
    ['F5-pause', 'SIGSTOP all brokers'],
  ] as const) {
    it(`${name}: whole cluster down (${how}) longer than the delivery timeout: every send rejects with DeliveryTimeoutError on time; new sends succeed once it is back`, async () => {
      const topic = await newTopic(`fault-${name.toLowerCase()}`);
      const deliveryTimeoutMs = 5000;
      const hangBoundMs = deliveryTimeoutMs + HANG_MARGIN_MS;
      const booted = await bootProducer({
        brokers: direct,
        reliability: 'all',
        producer: { deliveryTimeoutMs, requestTimeoutMs: 2000 },
      });
      const stream = new EventStream(booted.producer, topic);
      stream.start(20, 1);
      expect(await stream.waitForAcked(50)).toBe(true);

      if (name === 'F5-kill') await Promise.all(ids().map((id) => cluster.kill(id)));
      else for (const id of ids()) cluster.pause(id);
      const downAt = Date.now();
      // Keep sending into the outage, then let every send get its answer while still down.
      await sleep(6000);
      stream.stop();
      const outage: SendRecord[] = stream.records.filter((r) => r.startedAt >= downAt);
      await stream.settled(hangBoundMs);
      const upAt = Date.now();
      print(
        `[fault] ${name}: cluster down for ${upAt - downAt} ms; ${outage.length} sends made ` +
          `during the outage: ${outage.filter((r) => r.status === 'rejected').length} rejected, ` +
          `${outage.filter((r) => r.status === 'acked').length} acked, ` +
          `${outage.filter((r) => r.status === 'pending').length} pending; ` +
          `slowest answer ${Math.max(0, ...outage.map((r) => (r.settledAt ?? Date.now()) - r.startedAt))} ms; ` +
          describeFailures(outage),
      );

      if (name === 'F5-kill') await Promise.all(ids().map((id) => cluster.restart(id)));
      else for (const id of ids()) cluster.resume(id);
      await cluster.waitUntilReady();
      await waitForPartitions(direct, topic, 'full ISR', fullIsr(), 90_000);
      print(`[fault] ${name}: cluster back (full ISR) after ${Date.now() - upAt} ms`);

      const from = stream.records.length;
      stream.burst(30);
      await stream.settled(hangBoundMs);
      const after = stream.records.slice(from);
      const afterFailures = after.filter((r) => r.status !== 'acked');
      if (afterFailures.length > 0) {
        print(`[fault] ${name}: sends after recovery not acked: ${describeFailures(after)}`);
      }
      const report = await finishScenario(name, stream, booted, {
        checkBrokers: direct,
        hangBoundMs,
      });

      // Every send made while the cluster was down rejected with DeliveryTimeoutError, on time.
      expect(outage.length).toBeGreaterThan(50);
      const late = outage.filter(
        (r) => r.settledAt === undefined || r.settledAt - r.startedAt > hangBoundMs,
      );
      expect(late).toHaveLength(0);
      const wrong: Record<string, number> = {};
      for (const r of outage) {
        if (r.status === 'rejected' && r.error instanceof DeliveryTimeoutError) continue;
        const what = r.status === 'rejected' ? errorName(r.error) : r.status;
        wrong[what] = (wrong[what] ?? 0) + 1;
      }
      expect(wrong).toEqual({});
      // Any rejection at all (sends caught in flight by the outage too) is a delivery timeout.
      expect(Object.keys(report.errors).filter((e) => e !== 'DeliveryTimeoutError')).toEqual([]);
      // Once the cluster is back, new sends succeed.
      expect(afterFailures.length).toBe(0);
      expect(report).toMatchObject({
        lost: 0,
        duplicated: 0,
        reordered: 0,
        hung: 0,
        misreported: 0,
      });
    }, 300_000);
  }
});
