import hdr from 'hdr-histogram-js';
import type { LatencySummary } from './types.js';

const MiB = 1024 * 1024;

/** Peak RSS (and heap) of this process, sampled every `everyMs` (default 50 ms). */
export class RssSampler {
  peakRss = 0;
  peakHeapUsed = 0;
  private timer?: NodeJS.Timeout;

  start(everyMs = 50): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    return this;
  }

  sample(): void {
    const m = process.memoryUsage();
    if (m.rss > this.peakRss) this.peakRss = m.rss;
    if (m.heapUsed > this.peakHeapUsed) this.peakHeapUsed = m.heapUsed;
  }

  stop(): this {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return this;
  }

  get peakRssMiB(): number {
    return this.peakRss / MiB;
  }

  get peakHeapUsedMiB(): number {
    return this.peakHeapUsed / MiB;
  }
}

export function rssMiB(): number {
  return process.memoryUsage.rss() / MiB;
}

/** CPU (user + system) seconds used by this process since `from`. */
export function cpuSecondsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

/**
 * Latencies in microseconds, from 1 µs to 1 hour at 3 significant digits; summarised in
 * milliseconds.
 */
export class LatencyRecorder {
  private readonly histogram = hdr.build({
    bitBucketSize: 64,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  /** Records one latency given in milliseconds (performance.now() differences). */
  recordMs(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  reset(): void {
    this.histogram.reset();
  }

  summary(): LatencySummary | undefined {
    const h = this.histogram;
    if (h.totalCount === 0) return undefined;
    return {
      count: h.totalCount,
      p50: h.getValueAtPercentile(50) / 1000,
      p99: h.getValueAtPercentile(99) / 1000,
      p999: h.getValueAtPercentile(99.9) / 1000,
      max: h.maxValue / 1000,
      mean: h.mean / 1000,
    };
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One line about an error, with the inner errors of an AggregateError and the cause chain. */
export function describeError(error: unknown, depth = 0): string {
  if (!(error instanceof Error)) return String(error);
  let text = `${error.name}: ${error.message}`;
  if (depth < 3) {
    const inner = (error as { errors?: unknown[] }).errors;
    if (Array.isArray(inner) && inner.length > 0) {
      text += ` [${inner
        .slice(0, 3)
        .map((e) => describeError(e, depth + 1))
        .join('; ')}]`;
    }
    if (error.cause !== undefined) text += ` (cause: ${describeError(error.cause, depth + 1)})`;
  }
  return depth === 0 ? text.slice(0, 500) : text;
}
