import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';

/** Carries a record that is ready for the accumulator another way: the outbox's fallback. */
export interface DeliveryRoute {
  /** Whether a failure before the append (no metadata, say) is one to store the record for. */
  takes(error: unknown): boolean;
  /**
   * Sends the record with `direct` (the accumulator), or stores it; called in send order.
   * `partition` is where `direct` appends it (undefined when it never got one).
   */
  route(
    record: OutgoingRecord,
    partition: number | undefined,
    direct: () => Promise<DeliveryReport>,
  ): Promise<DeliveryReport>;
}

/** Records staged by a unit of work, published once its handler succeeded. */
export interface StagingArea {
  stage(publish: () => Promise<unknown>): void;
}

/** Where the engine finds the unit of work of the current call, if any (`@Outboxed()`). */
export interface Staging {
  current(): StagingArea | undefined;
}

/** What the engine offers a plug-in such as the outbox. */
export interface EngineAccess {
  /** Appends a stored record as it is, with acks all and no fallback (the relay's send). */
  publish(record: OutgoingRecord): Promise<DeliveryReport>;
  /** Checks and serializes events without sending them; each gets its event id now. */
  prepareAll(events: readonly object[]): Promise<OutgoingRecord[]>;
  /** Fails the batches queued for a partition with `error` (see RecordAccumulator). */
  failQueued(topic: string, partition: number, error: Error): void;
}

/** A plug-in's part in the engine's lifecycle and send path; every part is optional. */
export interface EngineHooks {
  /** Before connecting (the outbox opens its store). */
  init?(): Promise<void>;
  /** Once connected (the relay starts). */
  started?(): void;
  /** First thing at shutdown (the relay stops). */
  stopping?(): Promise<void>;
  /** Last thing at shutdown (the store closes). */
  closed?(): Promise<void>;
  /** Another way for records ready to append (the fallback mode). */
  route?: DeliveryRoute;
}
