import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type {
  PartitionBatch,
  PartitionOutcome,
  TopicOffsets,
  TransactionalTransport,
} from '../transport/transport.interface.js';
import { InMemoryTransport } from './in-memory-transport.js';
import type { ProducerRecorder } from './producer-recorder.js';

/**
 * The transactional transport port over a {@link ProducerRecorder}: the recorder keeps each
 * transaction's records apart until it commits (then they join the history) or aborts, with
 * the consumer offsets it carried. Taking the transactional id fences nothing here.
 */
export class InMemoryTransactionalTransport
  extends InMemoryTransport
  implements TransactionalTransport
{
  constructor(
    private readonly txRecorder: ProducerRecorder,
    maxInFlightRequests: number,
    readonly transactionalId: string,
  ) {
    super(txRecorder, maxInFlightRequests);
  }

  open(): Promise<void> {
    return Promise.resolve();
  }

  init(): Promise<void> {
    return Promise.resolve();
  }

  begin(): void {
    this.txRecorder.beginTransaction(this.transactionalId);
  }

  override produce(
    batches: readonly PartitionBatch[],
    _profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): Promise<PartitionOutcome[]> {
    return this.txRecorder.produce(batches, compression, this.transactionalId);
  }

  sendOffsets(groupId: string, topics: readonly TopicOffsets[]): Promise<void> {
    this.txRecorder.transactionOffsets(this.transactionalId, { consumerGroupId: groupId, topics });
    return Promise.resolve();
  }

  end(commit: boolean): Promise<void> {
    this.txRecorder.endTransaction(this.transactionalId, commit);
    return Promise.resolve();
  }
}
