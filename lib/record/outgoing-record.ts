import type { EventKey } from '../decorators/keyed-by.decorator.js';

/** A record ready for the wire: every part serialized, nothing decided but the partition. */
export interface OutgoingRecord {
  readonly topic: string;
  /** Explicit partition, or undefined for the partitioner to choose. */
  readonly partition?: number;
  /** The key as the event gave it, for the delivery report. */
  readonly keyValue: EventKey | null;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
  /** CreateTime, ms since the epoch. */
  readonly timestamp: number;
  readonly eventId: string;
  /** Bytes of key, value and headers (names and values): what `maxRequestSize` is held against. */
  readonly size: number;
}
