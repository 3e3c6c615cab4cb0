import type { RetryOptions } from 'kafkajs';
import type { ReliabilityProfile } from '../../interfaces/reliability.interface.js';
import type { BackoffSettings } from '../../utils/backoff.js';

/**
 * kafkajs's retry options for a profile. kafkajs retries a failed produce request itself,
 * after refreshing metadata on "not leader"-type errors, and for an idempotent producer
 * it reuses the failed request's sequence numbers, which is what lets the broker drop a
 * duplicate; only kafkajs can do that, so retries stay inside it.
 *
 * kafkajs bounds retries by count, not time: the count is the number of backoffs
 * (doubling from `retryBackoffMs`, at most `retryBackoffMaxMs`, ±20% jitter) that fit in
 * the delivery timeout, or the profile's own `retries` if lower. Callers get their answer
 * at the delivery timeout whatever kafkajs is doing (see RecordSender).
 */
export function retryOptions(profile: ReliabilityProfile, backoff: BackoffSettings): RetryOptions {
  const { retryBackoffMs: first, retryBackoffMaxMs: max } = backoff;
  let retries = 0;
  for (let waited = 0, wait = first; waited < profile.deliveryTimeoutMs; retries++) {
    waited += wait;
    wait = Math.min(wait * 2, max);
  }
  return {
    retries: Math.max(1, Math.min(profile.retries, retries)),
    initialRetryTime: first,
    maxRetryTime: max,
    multiplier: 2,
    factor: 0.2,
  };
}
