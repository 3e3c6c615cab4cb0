import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';

/**
 * kafkajs producers ("lanes") an idempotent profile sends with side by side. kafkajs's
 * idempotent producer sends one request per broker at a time (it holds a lock per broker
 * while it numbers and sends), where Java's keeps up to 5 in flight; each partition keeps one
 * lane, so one producer id numbers all of its records. docs/performance.md has the figures
 * behind two.
 */
export const IDEMPOTENT_LANES = 2;

/** Lanes of an idempotent profile: {@link IDEMPOTENT_LANES}, or 1 when only 1 request may fly. */
export function idempotentLanes(maxInFlightRequests: number): number {
  return Math.max(1, Math.min(IDEMPOTENT_LANES, maxInFlightRequests));
}

/**
 * Requests a profile has in flight at once: `maxInFlightRequests`, and for an idempotent
 * profile one per lane (more would only wait inside kafkajs while their records could still
 * join a larger request). Each partition has at most one in flight in either case.
 */
export function maxInFlightFor(profile: ReliabilityProfile, maxInFlightRequests: number): number {
  return profile.idempotent ? idempotentLanes(maxInFlightRequests) : maxInFlightRequests;
}
