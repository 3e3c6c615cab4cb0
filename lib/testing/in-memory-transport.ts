import { maxInFlightFor } from '../idempotence/in-flight.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type {
  PartitionBatch,
  PartitionOutcome,
  Transport,
} from '../transport/transport.interface.js';
import type { ProducerRecorder } from './producer-recorder.js';

/**
 * The transport port over a {@link ProducerRecorder} instead of Kafka: it connects at once,
 * answers partition counts from the recorder's options, and hands every request's batches
 * to the recorder, which acknowledges or fails them.
 */
export class InMemoryTransport implements Transport {
  private isClosed = false;

  constructor(
    private readonly recorder: ProducerRecorder,
    private readonly maxInFlightRequests: number,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }

  partitions(topic: string): number {
    return this.recorder.partitionsOf(topic);
  }

  produce(
    batches: readonly PartitionBatch[],
    _profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): Promise<PartitionOutcome[]> {
    return this.recorder.produce(batches, compression);
  }

  maxInFlight(profile: ReliabilityProfile): number {
    return maxInFlightFor(profile, this.maxInFlightRequests);
  }

  close(): Promise<void> {
    this.isClosed = true;
    return Promise.resolve();
  }
}
