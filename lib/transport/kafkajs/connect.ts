import type { Logger } from '@nestjs/common';
import { ProducerNotConnectedError } from '../../errors/producer-not-connected.error.js';
import { backoffMs, sleep } from '../../utils/backoff.js';
import { withTimeout } from '../../utils/with-timeout.js';
import { connectFailure, isFatalConnectError } from './error-mapper.js';

/** How a connect is tried. */
export interface ConnectPolicy {
  /** The bootstrap brokers, for the log and the error. */
  readonly brokers: readonly string[];
  /** Attempts (>= 1). */
  readonly attempts: number;
  /** Time bound on one attempt. */
  readonly timeoutMs: number;
  /** What is connected, for the log (a reliability profile's id). */
  readonly label: string;
}

/**
 * Runs `attempt` until it succeeds, up to `attempts` times, each bounded by `timeoutMs`,
 * with a doubling backoff between them (200 ms to 5 s); then rejects with
 * ProducerNotConnectedError naming the brokers and the last reason. A refused login, a
 * certificate that does not verify or a principal the cluster refuses ends it at once,
 * with its typed error (AuthenticationError, TlsError, AuthorizationError).
 */
export async function connectWithRetries(
  attempt: () => Promise<void>,
  policy: ConnectPolicy,
  logger: Logger,
): Promise<void> {
  const { attempts, timeoutMs, brokers, label } = policy;
  let lastError: unknown;
  for (let n = 1; n <= attempts; n++) {
    try {
      await withTimeout(
        attempt(),
        timeoutMs,
        () => new Error(`connect timed out after ${timeoutMs} ms`),
      );
      logger.log(`connected (${label}) to ${brokers.join(', ')}`);
      return;
    } catch (error) {
      lastError = error instanceof ProducerNotConnectedError && error.cause ? error.cause : error;
      logger.warn(`connect attempt ${n}/${attempts} (${label}) failed: ${String(lastError)}`);
      // Credentials, TLS, ACLs: another attempt meets the same answer.
      if (isFatalConnectError(lastError)) break;
      if (n < attempts) await sleep(backoffMs(n, 200, 5000, 0));
    }
  }
  throw connectFailure(lastError, brokers);
}
