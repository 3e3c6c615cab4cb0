/** Kafka's sequence numbers are int32 and wrap to 0 after the largest (Java's DefaultRecordBatch). */
const MAX_SEQUENCE = 0x7fffffff;

/** `base + increment`, wrapped as Java's `DefaultRecordBatch.incrementSequence` does. */
export function incrementSequence(base: number, increment: number): number {
  if (base > MAX_SEQUENCE - increment) return increment - (MAX_SEQUENCE - base) - 1;
  return base + increment;
}

/** kafkajs's request numbers run 0 … 2^31-2, then 0 again (its updateSequence rotation). */
const LAST_KAFKAJS_NUMBER = 0x7ffffffe;

/** The request number kafkajs gives after `n`. */
function nextRequest(n: number): number {
  return n >= LAST_KAFKAJS_NUMBER ? 0 : n + 1;
}

/** A partition's last numbered request. */
interface Entry {
  /** kafkajs's number for the request: one per request, see {@link SequenceBook}. */
  request: number;
  /** The first record's sequence number. */
  first: number;
  count: number;
}

/**
 * The record sequence numbers of one idempotent producer (one producer id and epoch).
 *
 * The module hands kafkajs one stand-in message per partition and request (see
 * `standIns`), so kafkajs's own per-partition counter, which it advances by the number of
 * messages and takes back when a request fails, counts requests, not records. Since a
 * partition never has two requests in flight (the accumulator mutes it), that counter is
 * either the previous request's (the same request again: a retry, or a replacement of a
 * request the broker refused) or the next one; this turns it into the first record's
 * sequence number the broker expects: the previous request's first sequence, or that
 * plus its record count. Anything else is a bug, and fails the request before it is sent.
 */
export class SequenceBook {
  private readonly partitions = new Map<string, Entry>();
  private producer?: string;

  /**
   * The first sequence number for a request of `count` records to `slot` (a topic-partition
   * key) that kafkajs numbered `request`, for producer `producerId` / `epoch`. A new
   * producer id or epoch starts every partition from 0, as kafkajs and the broker do.
   */
  firstSequence(
    producerId: bigint,
    epoch: number,
    slot: string,
    request: number,
    count: number,
  ): number {
    // A request failing right after kafkajs rotated to 0 takes its counter to -1 (0 - 1):
    // the same request as 2^31-2.
    if (request === -1) request = LAST_KAFKAJS_NUMBER;
    const producer = `${producerId}/${epoch}`;
    if (producer !== this.producer) {
      this.producer = producer;
      this.partitions.clear();
    }
    const last = this.partitions.get(slot);
    if (!last) {
      if (request !== 0) throw new Error(`${slot}: kafkajs numbered a first request ${request}`);
      this.partitions.set(slot, { request, first: 0, count });
      return 0;
    }
    if (request === last.request) {
      last.count = count;
      return last.first;
    }
    if (request === nextRequest(last.request)) {
      last.first = incrementSequence(last.first, last.count);
      last.request = request;
      last.count = count;
      return last.first;
    }
    throw new Error(`${slot}: kafkajs numbered request ${request} after ${last.request}`);
  }
}
