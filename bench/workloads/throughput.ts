import type { Driver } from '../peers/driver.js';
import { cpuSecondsSince, LatencyRecorder, RssSampler, describeError } from '../support/meter.js';
import type { CellResult, CellSpec } from '../support/types.js';
import type { WireCounter } from '../support/wire-counter.js';

const MiB = 1024 * 1024;

export type Report = (done: number, total: number) => void;

interface LoopOutcome {
  done: number;
  errors: number;
  firstError?: string;
}

/**
 * `concurrency` callers, each awaiting its own call before making the next one (closed loop),
 * sharing one record counter: per-message calls for mode `send`, `batch` records per call for
 * mode `batch`. Stops after `count` records or at `deadline` (performance.now() ms).
 */
async function closedLoop(
  driver: Driver,
  spec: CellSpec,
  first: number,
  count: number,
  deadline: number,
  latency?: LatencyRecorder,
  report?: Report,
): Promise<LoopOutcome> {
  const step = spec.mode === 'batch' ? spec.batch : 1;
  const end = first + count;
  let next = first;
  const out: LoopOutcome = { done: 0, errors: 0 };
  const caller = async () => {
    while (next < end && performance.now() < deadline) {
      const from = next;
      const n = Math.min(step, end - from);
      next += n;
      const t = performance.now();
      try {
        if (spec.mode === 'batch') await driver.sendBatch(from, n);
        else await driver.sendOne(from);
        latency?.recordMs(performance.now() - t);
        out.done += n;
      } catch (error) {
        out.errors += n;
        out.firstError ??= describeError(error);
      }
    }
  };
  const timer = report ? setInterval(() => report(out.done, count), 500) : undefined;
  try {
    await Promise.all(Array.from({ length: spec.concurrency }, caller));
  } finally {
    if (timer) clearInterval(timer);
  }
  return out;
}

/**
 * W1 / W4: warm up, then send `spec.records` records (or as many as fit in `maxSeconds`) and
 * measure msg/s, MiB/s (record values), client CPU, peak RSS, Produce requests on the wire and
 * the latency of each call from its start to its resolution.
 */
export async function runThroughput(
  spec: CellSpec,
  driver: Driver,
  wire: WireCounter,
  report: Report,
): Promise<CellResult> {
  // Warm-up: at least `warmupRecords`, and for at least `warmupMs` (the same for every peer:
  // a 200k-record cell takes 2 s, so a peer still compiling its hot paths would be measured
  // mostly cold otherwise).
  const warmStart = performance.now();
  const warm = await closedLoop(driver, spec, 0, spec.warmupRecords, warmStart + 30_000);
  let warmed = warm.done + warm.errors;
  const warmEnd = warmStart + spec.warmupMs;
  if (performance.now() < warmEnd) {
    const more = await closedLoop(driver, spec, warmed, Number.MAX_SAFE_INTEGER / 2, warmEnd);
    warmed += more.done + more.errors;
  }
  global.gc?.();
  wire.reset();
  const latency = new LatencyRecorder();
  const rss = new RssSampler().start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await closedLoop(
    driver,
    spec,
    warmed,
    spec.records,
    t0 + spec.maxSeconds * 1000,
    latency,
    report,
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu0);
  rss.stop();
  const requests = wire.produceRequests;
  return {
    id: spec.id,
    spec,
    status: out.done === 0 ? 'failed' : 'ok',
    note:
      out.done < spec.records && out.errors === 0 ? `stopped at ${spec.maxSeconds} s` : undefined,
    records: out.done,
    seconds,
    msgPerSec: out.done / seconds,
    mibPerSec: (out.done * spec.shape.size) / MiB / seconds,
    cpuSeconds,
    cpuUsPerRecord: out.done > 0 ? (cpuSeconds * 1e6) / out.done : 0,
    peakRssMiB: rss.peakRssMiB,
    produceRequests: requests,
    recordsPerRequest: requests > 0 ? out.done / requests : undefined,
    latency: latency.summary(),
    errors: out.errors,
    firstError: out.firstError,
  };
}
