/** What `ProducerService.health()` resolves with: the producer's own state, no new request. */
export interface ProducerHealth {
  /** A broker connection is open (kafkajs's socket state; or the active check answered). */
  readonly connected: boolean;
  /** The producer is shut down (or shutting down). */
  readonly closed: boolean;
  /** Ms since the broker last acknowledged a request; null before the first. */
  readonly lastAckAgoMs: number | null;
  /** Bytes of `bufferMemory` in use over all of it (0 to 1; a record may take it over 1). */
  readonly bufferUse: number;
  /** Sends waiting for buffer room now. */
  readonly waitingSends: number;
  /** Requests failed in a row since the last acknowledged one. */
  readonly consecutiveFailures: number;
  /**
   * A failure that retrying cannot heal (a refused login, a failed TLS check), as
   * `Name: message`, until a request succeeds again; null otherwise.
   */
  readonly fatal: string | null;
  /** Only with an outbox: rows still to publish, and the oldest one's age (0 when none). */
  readonly outbox?: { readonly backlog: number; readonly oldestAgeMs: number };
}

/** Options of `ProducerService.health()`. */
export interface HealthCheckOptions {
  /**
   * When the producer is not connected, fetch metadata through its own connections (which
   * reconnects them) and wait at most this many ms for it. Default: no active check.
   */
  readonly activeCheckTimeoutMs?: number;
}
