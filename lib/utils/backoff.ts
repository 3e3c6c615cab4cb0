/** Backoff settings (Java `retry.backoff.ms` / `retry.backoff.max.ms`). */
export interface BackoffSettings {
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
}

/**
 * The wait before retry number `attempt` (1, 2, …): `firstMs` doubling per attempt up to
 * `maxMs`, spread by ±`jitter` (a fraction) so that many clients do not retry in step, as
 * Java's `retry.backoff.ms` / `retry.backoff.max.ms` do. The one backoff of the module: the
 * sender, the relay, connecting and the metadata wait all use it.
 */
export function backoffMs(attempt: number, firstMs: number, maxMs: number, jitter = 0.2): number {
  const base = Math.min(firstMs * 2 ** Math.max(0, attempt - 1), maxMs);
  return jitter === 0 ? base : Math.round(base * (1 - jitter + Math.random() * 2 * jitter));
}

/** A wait that a caller awaits: a plain timer, so it keeps the process alive (never unref'd). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
