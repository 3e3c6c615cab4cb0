/** What `send()` resolves with once the record has the ack its reliability asks for. */
export interface DeliveryReport {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset (int64, as a decimal string); `'-1'` with acks 0, where the broker says nothing. */
  readonly offset: string;
  /** The key as derived from the event (before serialization), or `null` for keyless records. */
  readonly key: string | number | bigint | Buffer | null;
  /** The record's timestamp in ms since the epoch (CreateTime), as a decimal string. */
  readonly timestamp: string;
  /** The record's `x-event-id` header (UUIDv7). */
  readonly eventId: string;
  /**
   * Fallback mode: Kafka failed (or the key had events waiting), so the record is in the
   * outbox; the relay will publish it. `partition` and `offset` are then -1.
   */
  readonly deferred?: boolean;
  /** Sent inside an `@Outboxed()` handler: published once the handler succeeds. */
  readonly staged?: boolean;
}
