import { AuthenticationError } from '../errors/authentication.error.js';
import type { KafkaProducerError } from '../errors/kafka-producer.error.js';
import { TlsError } from '../errors/tls.error.js';
import type { PartitionBatch, PartitionOutcome } from '../transport/transport.interface.js';
import type { SendObserver } from './send-observer.js';

/** Errors that no retry heals: the configuration (credentials, certificates) must change. */
export function isFatal(error: unknown): boolean {
  return error instanceof AuthenticationError || error instanceof TlsError;
}

/**
 * What the health indicator reads of the send path, as an observer: when the broker last
 * acknowledged a request, how many requests failed since, and a fatal failure.
 */
export class HealthTracker implements SendObserver {
  private lastAckAt?: number;
  private failures = 0;
  private fatalError?: Error;

  constructor(private readonly now: () => number = Date.now) {}

  answered(_batches: readonly PartitionBatch[], outcomes: readonly PartitionOutcome[]): void {
    let failed: Error | undefined;
    for (const outcome of outcomes) if (outcome.error) failed ??= outcome.error;
    if (!failed) {
      this.lastAckAt = this.now();
      this.failures = 0;
      this.fatalError = undefined;
      return;
    }
    this.failures++;
    if (isFatal(failed)) this.fatalError = failed;
  }

  failed(error: KafkaProducerError): void {
    if (isFatal(error)) this.fatalError = error;
  }

  get lastAckAgoMs(): number | null {
    return this.lastAckAt === undefined ? null : this.now() - this.lastAckAt;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  get fatal(): string | null {
    const e = this.fatalError;
    return e ? `${e.name}: ${e.message}` : null;
  }
}
