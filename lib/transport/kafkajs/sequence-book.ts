import type { RecordBatch } from '../../protocol/record-batch.js';

/** Kafka's sequence numbers are int32 and wrap to 0 after the largest (Java's DefaultRecordBatch). */
const MAX_SEQUENCE = 0x7fffffff;

/** `base + increment`, wrapped as Java's `DefaultRecordBatch.incrementSequence` does. */
export function incrementSequence(base: number, increment: number): number {
  if (base > MAX_SEQUENCE - increment) return increment - (MAX_SEQUENCE - base) - 1;
  return base + increment;
}

/** One idempotent producer id and epoch, and its sequence state per partition. */
export class ProducerIdentity {
  /** Per topic-partition key: the next first sequence, and a batch whose outcome is unknown. */
  readonly partitions = new Map<string, { next: number; inDoubt?: RecordBatch }>();

  constructor(
    readonly producerId: bigint,
    readonly epoch: number,
  ) {}
}

/** The producer id, epoch and first sequence one record batch is sent with. */
export interface Numbering {
  readonly identity: ProducerIdentity;
  readonly sequence: number;
}

/** What became of a numbered batch, as far as its sequence numbers go. */
export type SequenceOutcome =
  /** Written: the partition's next batch follows it. */
  | 'acked'
  /** Refused by the broker, not written by this attempt: its numbers stay the partition's next. */
  | 'refused'
  /** Maybe written (no answer): only this batch may be sent with these numbers again. */
  | 'in-doubt'
  /** The broker does not agree with the numbering: renumber under a new producer id. */
  | 'renumber';

/**
 * The record sequence numbers of idempotent producers, as Java's TransactionManager keeps
 * them: per producer id and epoch, per partition, the first sequence of the next batch.
 *
 * A batch is numbered when it is first sent and keeps its numbers for every retry, so the
 * broker can tell a retry of a batch it wrote (it answers with the first write's offset)
 * from a new one. Each partition has at most one request in flight (the accumulator mutes
 * it), so a partition's batches are numbered in order. Two cases need a new producer id
 * (what Java's epoch bump does): a batch whose outcome stayed unknown and was given up
 * (the next batch cannot know where the broker's numbering stands), and a batch the broker
 * refused for its numbering (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID).
 */
export class SequenceBook {
  private readonly numbered = new WeakMap<
    RecordBatch,
    { numbering: Numbering; renumber: boolean }
  >();

  /**
   * Whether `batch` may not be numbered under `current` for `slot`: another batch of the
   * partition has an unknown outcome under it (it was given up), or `batch` must be
   * renumbered. The caller takes a new producer id first.
   */
  needsNewIdentity(batch: RecordBatch, slot: string, current: ProducerIdentity): boolean {
    const known = this.numbered.get(batch);
    if (known && !known.renumber) return false;
    if (known?.renumber && known.numbering.identity === current) return true;
    const doubt = current.partitions.get(slot)?.inDoubt;
    return doubt !== undefined && doubt !== batch;
  }

  /** The numbers `batch` is sent with: its earlier ones, or the next of `slot` under `current`. */
  number(batch: RecordBatch, slot: string, current: ProducerIdentity): Numbering {
    const known = this.numbered.get(batch);
    if (known && !known.renumber) return known.numbering;
    let state = current.partitions.get(slot);
    if (!state) current.partitions.set(slot, (state = { next: 0 }));
    const numbering: Numbering = { identity: current, sequence: state.next };
    this.numbered.set(batch, { numbering, renumber: false });
    return numbering;
  }

  /** Records what became of a batch numbered by {@link number} for `slot`. */
  settle(batch: RecordBatch, slot: string, outcome: SequenceOutcome): void {
    const known = this.numbered.get(batch);
    if (!known) return;
    const { identity, sequence } = known.numbering;
    const state = identity.partitions.get(slot);
    if (!state) return;
    switch (outcome) {
      case 'acked':
        state.next = incrementSequence(sequence, batch.count);
        if (state.inDoubt === batch) state.inDoubt = undefined;
        this.numbered.delete(batch);
        break;
      case 'refused':
        // Says nothing of an earlier attempt of the batch, which may have been written.
        break;
      case 'in-doubt':
        state.inDoubt = batch;
        break;
      case 'renumber':
        if (state.inDoubt === batch) state.inDoubt = undefined;
        known.renumber = true;
        break;
    }
  }
}
