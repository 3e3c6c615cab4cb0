import type { Driver } from '../peers/driver.js';
import {
  cpuSecondsSince,
  LatencyRecorder,
  RssSampler,
  sleep,
  describeError,
} from '../support/meter.js';
import type { CellResult, CellSpec } from '../support/types.js';
import type { WireCounter } from '../support/wire-counter.js';
import type { Report } from './throughput.js';

const MiB = 1024 * 1024;
/** How long to wait for the last acks after the last record was offered. */
const DRAIN_MS = 15_000;

/**
 * W2: an open loop at a fixed offered rate. Record i is due at t0 + i / rate; a 1 ms ticker
 * sends every record that is due, without waiting for earlier ones, and each latency is taken
 * from the record's intended send time to its ack. A sender that falls behind (slow calls, a
 * busy event loop) therefore shows the queueing in its percentiles: no coordinated omission.
 */
export async function runLatency(
  spec: CellSpec,
  driver: Driver,
  wire: WireCounter,
  report: Report,
): Promise<CellResult> {
  const rate = spec.rate ?? 1000;
  // Warm-up: short bursts, not measured.
  let warmAcked = 0;
  for (let i = 0; i < spec.warmupRecords; i += 10) {
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(10, spec.warmupRecords - i) }, (_, j) => driver.sendOne(i + j)),
    );
    warmAcked += settled.filter((x) => x.status === 'fulfilled').length;
  }
  global.gc?.();
  wire.reset();
  const latency = new LatencyRecorder();
  const rss = new RssSampler().start();
  const total = spec.records;
  const interval = 1000 / rate;
  const base = spec.warmupRecords;
  let issued = 0;
  let acked = 0;
  let errors = 0;
  let firstError: string | undefined;
  /** Intended send time of each record still waiting for its ack. */
  const waiting = new Map<number, number>();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const timer = setInterval(() => report(acked, total), 500);
  while (issued < total) {
    const due = Math.min(total, Math.floor((performance.now() - t0) / interval) + 1);
    while (issued < due) {
      const i = issued++;
      const intended = t0 + i * interval;
      waiting.set(i, intended);
      driver.sendOne(base + i).then(
        () => {
          if (!waiting.delete(i)) return;
          latency.recordMs(performance.now() - intended);
          acked++;
        },
        (error: unknown) => {
          if (!waiting.delete(i)) return;
          errors++;
          firstError ??= describeError(error);
        },
      );
    }
    await sleep(1);
  }
  const drainDeadline = performance.now() + DRAIN_MS;
  while (waiting.size > 0 && performance.now() < drainDeadline) await sleep(20);
  // Records still unacked count with the latency they have so far (a lower bound), so a peer
  // that falls far behind cannot hide its tail by never answering.
  const unacked = waiting.size;
  const now = performance.now();
  for (const intended of waiting.values()) latency.recordMs(now - intended);
  waiting.clear();
  clearInterval(timer);
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu0);
  rss.stop();
  const requests = wire.produceRequests;
  const achievedRate = acked / seconds;
  const behind = achievedRate < rate * 0.95;
  return {
    id: spec.id,
    spec,
    status: acked === 0 ? 'failed' : 'ok',
    note:
      [
        behind ? `could not keep up: ${Math.round(achievedRate)} of ${rate} msg/s acked` : '',
        unacked > 0
          ? `${unacked} unacked ${DRAIN_MS / 1000} s after the last send, counted with their latency so far`
          : '',
      ]
        .filter(Boolean)
        .join('; ') || undefined,
    records: acked,
    seconds,
    msgPerSec: acked / seconds,
    mibPerSec: (acked * spec.shape.size) / MiB / seconds,
    cpuSeconds,
    cpuUsPerRecord: acked > 0 ? (cpuSeconds * 1e6) / acked : 0,
    peakRssMiB: rss.peakRssMiB,
    produceRequests: requests,
    requestsPerSec: requests / seconds,
    recordsPerRequest: requests > 0 ? acked / requests : undefined,
    latency: latency.summary(),
    errors,
    firstError,
    achievedRate,
    ackedTotal: warmAcked + acked,
    pendingAtEnd: unacked,
  };
}
