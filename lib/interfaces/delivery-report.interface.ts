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
}
