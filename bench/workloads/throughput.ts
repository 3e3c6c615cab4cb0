import type { Driver } from '../peers/driver.js';
import { describeError, LatencyRecorder, RssSampler, sleep } from '../support/meter.js';
import type { CellResult, CellSpec } from '../support/types.js';
import type { WireCounter } from '../support/wire-counter.js';

const MiB = 1024 * 1024;
/** How long the callers may take to return after the window before the run counts as a hang. */
const DRAIN_LIMIT_MS = 60_000;

export type Report = (done: number, total: number) => void;

/** Tells the runner that the window opens or closes (it reads /proc then). */
export type WindowEdge = (edge: 'start' | 'end') => void;

/**
 * W1 / W4 / W2 at one caller: `concurrency` callers, each awaiting its own call before the
 * next (closed loop), run without a break from the start to the end of the run. After
 * `warmupMs` the window opens: records acked, errors and Produce requests on the wire are
 * counted from there for `windowMs`; the runner reads the CPU of this process and of the
 * brokers from /proc at both edges. Then the callers stop and drain; every record acked over
 * the whole run is reported (ackedTotal) for the runner to check against the broker's end
 * offsets. With `spec.latency`, each call that ends in the window has its latency recorded.
 */
export async function runThroughput(
  spec: CellSpec,
  driver: Driver,
  wire: WireCounter,
  report: Report,
  edge: WindowEdge,
): Promise<CellResult> {
  const step = spec.mode === 'batch' ? spec.batch : 1;
  const latency = spec.latency ? new LatencyRecorder() : undefined;
  let next = 0;
  let acked = 0;
  let errors = 0;
  let firstError: string | undefined;
  let stop = false;
  let inWindow = false;
  const caller = async () => {
    while (!stop) {
      const from = next;
      next += step;
      const t = performance.now();
      try {
        if (spec.mode === 'batch') await driver.sendBatch(from, step);
        else await driver.sendOne(from);
        acked += step;
        if (inWindow) latency?.recordMs(performance.now() - t);
      } catch (error) {
        errors += step;
        firstError ??= describeError(error);
        await sleep(10);
      }
    }
  };
  const callers = Promise.all(Array.from({ length: spec.concurrency }, caller));
  const timer = setInterval(() => report(acked, 0), 500);
  let hung = false;
  let a0 = 0;
  let e0 = 0;
  let r0 = 0;
  let t0 = 0;
  let a1 = 0;
  let e1 = 0;
  let r1 = 0;
  let t1 = 0;
  const rss = new RssSampler();
  try {
    await sleep(spec.warmupMs);
    a0 = acked;
    e0 = errors;
    r0 = wire.produceRequests;
    t0 = performance.now();
    inWindow = true;
    rss.start();
    edge('start');
    await sleep(spec.windowMs);
    a1 = acked;
    e1 = errors;
    r1 = wire.produceRequests;
    t1 = performance.now();
    inWindow = false;
    edge('end');
    rss.stop();
  } finally {
    stop = true;
    const drained = await Promise.race([callers.then(() => true), sleep(DRAIN_LIMIT_MS)]);
    hung = drained !== true;
    clearInterval(timer);
  }
  const records = a1 - a0;
  const seconds = (t1 - t0) / 1000;
  const requests = r1 - r0;
  const notes: string[] = [];
  if (hung) notes.push(`hang: calls still pending ${DRAIN_LIMIT_MS / 1000} s after the window`);
  if (e1 - e0 > 0) notes.push(`${e1 - e0} records failed inside the window`);
  return {
    id: spec.id,
    spec,
    status: records === 0 || hung ? 'failed' : 'ok',
    note: notes.join('; ') || undefined,
    records,
    seconds,
    msgPerSec: records / seconds,
    mibPerSec: (records * spec.shape.size) / MiB / seconds,
    cpuSeconds: 0,
    cpuUsPerRecord: 0,
    peakRssMiB: rss.peakRssMiB,
    produceRequests: requests,
    requestsPerSec: requests / seconds,
    recordsPerRequest: requests > 0 ? records / requests : undefined,
    latency: latency?.summary(),
    errors,
    firstError,
    ackedTotal: acked,
  };
}
