/** One window of a {@link SampledStat}. */
interface Sample {
  start: number;
  count: number;
  sum: number;
  max: number;
}

/** Java's metrics defaults: `metrics.sample.window.ms` 30000 and `metrics.num.samples` 2. */
export const SAMPLE_WINDOW_MS = 30_000;
export const SAMPLES = 2;

/**
 * A value recorded over time windows, read as Java's `Rate`, `Avg` and `Max` read theirs
 * (org.apache.kafka.common.metrics.stats): `SAMPLES` windows of `windowMs`, the oldest
 * dropped once it is `SAMPLES` windows old. An average or maximum of nothing is NaN, as in
 * Java; a rate divides by the time the samples cover, at least `SAMPLES - 1` whole windows.
 */
export class SampledStat {
  private readonly samples: Sample[] = [];
  private current = 0;

  constructor(private readonly windowMs = SAMPLE_WINDOW_MS) {}

  record(value: number, now: number): void {
    const sample = this.sampleAt(now);
    sample.count++;
    sample.sum += value;
    if (value > sample.max) sample.max = value;
  }

  /** Sum of the values per second. */
  rate(now: number): number {
    this.purge(now);
    let sum = 0;
    let oldest = now;
    for (const s of this.samples) {
      sum += s.sum;
      if (s.start < oldest) oldest = s.start;
    }
    let elapsed = now - oldest;
    const full = Math.floor(elapsed / this.windowMs);
    if (full < SAMPLES - 1) elapsed += (SAMPLES - 1 - full) * this.windowMs;
    return sum / (Math.max(elapsed, 1) / 1000);
  }

  avg(now: number): number {
    this.purge(now);
    let sum = 0;
    let count = 0;
    for (const s of this.samples) {
      sum += s.sum;
      count += s.count;
    }
    return count === 0 ? NaN : sum / count;
  }

  max(now: number): number {
    this.purge(now);
    let max = -Infinity;
    let count = 0;
    for (const s of this.samples) {
      count += s.count;
      if (s.max > max) max = s.max;
    }
    return count === 0 ? NaN : max;
  }

  private sampleAt(now: number): Sample {
    let sample = this.samples[this.current];
    if (!sample) {
      sample = { start: now, count: 0, sum: 0, max: -Infinity };
      this.samples[this.current] = sample;
      return sample;
    }
    if (now - sample.start < this.windowMs) return sample;
    this.current = (this.current + 1) % SAMPLES;
    const next = this.samples[this.current];
    if (next) {
      next.start = now;
      next.count = 0;
      next.sum = 0;
      next.max = -Infinity;
      return next;
    }
    return (this.samples[this.current] = { start: now, count: 0, sum: 0, max: -Infinity });
  }

  /** Forgets samples that started `SAMPLES` windows ago or earlier. */
  private purge(now: number): void {
    const expiry = SAMPLES * this.windowMs;
    for (const s of this.samples) {
      if (now - s.start >= expiry) {
        s.start = now;
        s.count = 0;
        s.sum = 0;
        s.max = -Infinity;
      }
    }
  }
}
