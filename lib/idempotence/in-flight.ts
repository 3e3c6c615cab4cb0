import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';

/**
 * Requests an idempotent producer may have in flight per connection: the broker keeps the
 * last five batches of each producer and partition to detect a retry (Java refuses more).
 */
export const MAX_IDEMPOTENT_IN_FLIGHT = 5;

/**
 * Requests a profile has in flight at once: `maxInFlightRequests`, at most
 * {@link MAX_IDEMPOTENT_IN_FLIGHT} for an idempotent profile. Each request goes to every
 * leader it has batches for, and each partition has at most one request in flight.
 */
export function maxInFlightFor(profile: ReliabilityProfile, maxInFlightRequests: number): number {
  const max = Math.max(1, maxInFlightRequests);
  return profile.idempotent ? Math.min(MAX_IDEMPOTENT_IN_FLIGHT, max) : max;
}
