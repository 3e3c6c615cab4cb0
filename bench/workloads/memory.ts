import type { Driver } from '../peers/driver.js';
import { cpuSecondsSince, RssSampler, rssMiB, sleep, describeError } from '../support/meter.js';
import type { CellResult, CellSpec, MemoryOutcome } from '../support/types.js';

/** Talks to the runner, which owns the broker and pauses / resumes it. */
export interface Coordinator {
  notify(type: 'ready' | 'observed'): void;
  waitFor(type: 'go' | 'resumed'): Promise<void>;
}

function countError(into: Record<string, number>, error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  into[name] = (into[name] ?? 0) + 1;
  return name;
}

/**
 * W3: a producer faster than the broker. After a warm-up the runner SIGSTOPs the broker; then
 * `concurrency` callers each fire `perCaller` sends without awaiting them (yielding to the event
 * loop between sends), so everything offered has to be held (or refused) by the client. We watch
 * for `pauseMs`: peak RSS, which sends settle, which reject (and with what, and when: the
 * `maxBlockMs` behaviour), which just hang. Then the runner resumes the broker and we wait for
 * the rest to drain (bounded), to tell "rejected late" from "hangs forever".
 */
export async function runMemory(
  spec: CellSpec,
  driver: Driver,
  coordinator: Coordinator,
): Promise<CellResult> {
  let warmAcked = 0;
  for (let i = 0; i < spec.warmupRecords; i += 50) {
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(50, spec.warmupRecords - i) }, (_, j) => driver.sendOne(i + j)),
    );
    warmAcked += settled.filter((x) => x.status === 'fulfilled').length;
  }
  global.gc?.();
  await sleep(200);
  const baselineRssMiB = rssMiB();
  coordinator.notify('ready');
  await coordinator.waitFor('go');

  const perCaller = spec.perCaller ?? 100;
  const offered = spec.concurrency * perCaller;
  const pauseMs = spec.pauseMs ?? 5000;
  const rss = new RssSampler().start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let resumed = false;
  const outcome: MemoryOutcome = {
    offered,
    pauseMs,
    okDuringPause: 0,
    rejectedDuringPause: {},
    pendingAtResume: 0,
    okAfterResume: 0,
    rejectedAfterResume: {},
    stillPendingAtEnd: 0,
    drainMs: 0,
    baselineRssMiB,
    peakRssMiB: 0,
    peakHeapUsedMiB: 0,
  };
  let pending = 0;
  let lastSettled = performance.now();
  const all: Promise<void>[] = [];
  const fire = (i: number) => {
    pending++;
    all.push(
      driver.sendOne(i).then(
        () => {
          pending--;
          lastSettled = performance.now();
          if (resumed) outcome.okAfterResume++;
          else outcome.okDuringPause++;
        },
        (error: unknown) => {
          pending--;
          lastSettled = performance.now();
          outcome.firstRejectionMs ??= performance.now() - t0;
          outcome.firstError ??= describeError(error);
          countError(resumed ? outcome.rejectedAfterResume : outcome.rejectedDuringPause, error);
        },
      ),
    );
  };
  const base = spec.warmupRecords;
  const caller = async (c: number) => {
    for (let k = 0; k < perCaller; k++) {
      fire(base + c * perCaller + k);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  const callers = Promise.all(Array.from({ length: spec.concurrency }, (_, c) => caller(c)));
  await Promise.race([callers, sleep(pauseMs)]);
  const left = pauseMs - (performance.now() - t0);
  if (left > 0) await sleep(left);
  outcome.pendingAtResume = pending;
  coordinator.notify('observed');
  await coordinator.waitFor('resumed');
  resumed = true;
  const t1 = performance.now();
  await callers;
  const drainDeadline = t1 + Math.max(30_000, spec.maxSeconds * 1000);
  while (pending > 0 && performance.now() < drainDeadline) {
    await Promise.race([Promise.allSettled(all), sleep(500)]);
  }
  outcome.drainMs = performance.now() - t1;
  outcome.stillPendingAtEnd = pending;
  outcome.msSinceLastSettle = performance.now() - lastSettled;
  const cpuSeconds = cpuSecondsSince(cpu0);
  rss.stop();
  outcome.peakRssMiB = rss.peakRssMiB;
  outcome.peakHeapUsedMiB = rss.peakHeapUsedMiB;
  const rejected = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const acked = outcome.okDuringPause + outcome.okAfterResume;
  return {
    id: spec.id,
    spec,
    status: 'ok',
    records: acked,
    seconds: (performance.now() - t0) / 1000,
    msgPerSec: 0,
    mibPerSec: 0,
    cpuSeconds,
    cpuUsPerRecord: acked > 0 ? (cpuSeconds * 1e6) / acked : 0,
    peakRssMiB: rss.peakRssMiB,
    errors: rejected(outcome.rejectedDuringPause) + rejected(outcome.rejectedAfterResume),
    firstError: outcome.firstError,
    memory: outcome,
    ackedTotal: warmAcked + acked,
  };
}
