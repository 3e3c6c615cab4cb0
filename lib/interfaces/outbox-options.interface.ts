import type { OutboxStore } from '../outbox/stores/outbox-store.interface.js';

/** How the relay publishes what the outbox holds. */
export interface OutboxRelayOptions {
  /** Run the relay in this app (started and stopped with the Nest lifecycle). Default `true`. */
  enabled?: boolean;
  /** Wait between polls when the outbox had nothing to claim. Default 500 ms. */
  pollIntervalMs?: number;
  /** Rows claimed per poll (at most one per key). Default 100. */
  batchSize?: number;
  /** How long a claimed row is this relay's; past it another relay may take it over. Default 30000 ms. */
  leaseMs?: number;
  /** Attempts before a row is marked DEAD. Default 10. */
  maxAttempts?: number;
  /** First wait before a failed row is tried again; doubles per attempt, ±20% jitter. Default 500 ms. */
  backoffMs?: number;
  /** Longest wait between attempts. Default 60000 ms. */
  backoffMaxMs?: number;
  /** Also send DEAD rows to this topic (headers `x-original-topic`, `x-dead-reason`). Default none. */
  deadLetterTopic?: string;
  /** Delete PUBLISHED rows older than this; `false` keeps them. Default 604800000 (7 days). */
  retentionMs?: number | false;
  /** Name of this relay in leases. Default `<hostname>:<pid>:<random>`. */
  owner?: string;
}

/** The outbox of a producer (`KafkaProducerModule.forRoot({ outbox })`). */
export interface OutboxOptions {
  /** Where events wait: `PostgresOutboxStore`, `SqliteOutboxStore` or `MemoryOutboxStore`. */
  store: OutboxStore;
  /**
   * Fallback mode: a send that fails with a retriable error or times out is stored in the
   * outbox instead of failing its caller (the report says `deferred: true`), and a key
   * with rows waiting sends its new events through the outbox too. Default `true`.
   */
  fallback?: boolean;
  /** Relay settings. */
  relay?: OutboxRelayOptions;
}
