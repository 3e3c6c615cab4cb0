/**
 * Named reliability levels:
 * - `'fire-and-forget'`: acks 0, not idempotent; `send()` resolves once the request is
 *   written to the socket; offsets are unknown (`'-1'`) and a broker failure loses records.
 * - `'leader'`: acks 1, not idempotent; the leader has written the record.
 * - `'all'` (default): acks -1 and idempotent; every in-sync replica has it, no duplicates
 *   from retries.
 */
export type ReliabilityLevel = 'fire-and-forget' | 'leader' | 'all';

/** An explicit reliability profile. */
export interface ReliabilityOptions {
  /** 0, 1 or -1 (all). */
  acks: 0 | 1 | -1;
  /** Idempotent producer; needs acks -1. Default: `true` when acks is -1, else `false`. */
  idempotent?: boolean;
  /** Retries of a failed request. Default: unbounded within the delivery timeout when idempotent, else 5. */
  retries?: number;
  /** Upper bound on the time from `send()` to its ack. Default: the module's `deliveryTimeoutMs` (120000). */
  deliveryTimeoutMs?: number;
}

/** What `@Reliability` and the `reliability` options take. */
export type ReliabilitySpec = ReliabilityLevel | ReliabilityOptions;

/** A resolved profile: one kafkajs producer serves each distinct profile. */
export interface ReliabilityProfile {
  readonly acks: 0 | 1 | -1;
  readonly idempotent: boolean;
  readonly retries: number;
  readonly deliveryTimeoutMs: number;
  /** Identity of the kafkajs producer that serves this profile. */
  readonly id: string;
}
