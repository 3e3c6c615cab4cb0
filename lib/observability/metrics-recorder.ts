import type { ProducerBatch } from '../accumulator/producer-batch.js';
import type { KafkaProducerError } from '../errors/kafka-producer.error.js';
import type { FailedRecord } from '../interfaces/producer-listener.interface.js';
import type {
  OutboxMetricValues,
  ProducerMetricValues,
  ProducerTopicMetricValues,
} from '../interfaces/producer-metrics.interface.js';
import { RECORD_BATCH_HEADER_BYTES } from '../protocol/record-batch.js';
import type { PartitionBatch, PartitionOutcome } from '../transport/transport.interface.js';
import { SampledStat } from './sampled-stat.js';
import type { SendObserver } from './send-observer.js';

/** A counter: its total and its rate. */
class Counter {
  total = 0;
  readonly stat = new SampledStat();

  add(n: number, now: number): void {
    this.total += n;
    this.stat.record(n, now);
  }
}

class TopicStats {
  readonly sent = new Counter();
  readonly errors = new Counter();
  readonly retries = new Counter();
  readonly bytes = new Counter();
  readonly compression = new SampledStat();
}

/** What the engine's bufferMemory holds now (see BufferMemory). */
export interface BufferState {
  readonly total: number;
  readonly available: number;
  readonly waiting: number;
  readonly waitTimeMs: number;
}

/** The compressed over the uncompressed size of a record batch's records section. */
function compressionRate(batch: PartitionBatch): number {
  const { bytes, recordsBytes } = batch.batch;
  return recordsBytes === 0 ? 1 : (bytes.length - RECORD_BATCH_HEADER_BYTES) / recordsBytes;
}

/**
 * Java's producer metrics, recorded as an observer of the send path: what the sender drains,
 * sends, retries and is answered, and what fails. {@link values} adds the buffer's state and
 * reads it all under Java's names.
 */
export class MetricsRecorder implements SendObserver {
  private readonly records = new Counter();
  private readonly errors = new Counter();
  private readonly retries = new Counter();
  private readonly requests = new Counter();
  private readonly bytes = new Counter();
  private readonly queueTime = new SampledStat();
  private readonly latency = new SampledStat();
  private readonly batchSize = new SampledStat();
  private readonly recordsPerRequest = new SampledStat();
  private readonly compression = new SampledStat();
  private readonly topics = new Map<string, TopicStats>();

  constructor(private readonly now: () => number = Date.now) {}

  drained(batches: readonly ProducerBatch[]): void {
    const now = this.now();
    for (const batch of batches) this.queueTime.record(now - batch.createdAt, now);
  }

  sent(batches: readonly PartitionBatch[]): void {
    const now = this.now();
    let records = 0;
    for (const wire of batches) {
      const { count, bytes } = wire.batch;
      const rate = compressionRate(wire);
      const topic = this.topic(wire.topic);
      records += count;
      topic.sent.add(count, now);
      topic.bytes.add(bytes.length, now);
      topic.compression.record(rate, now);
      this.bytes.add(bytes.length, now);
      this.batchSize.record(bytes.length, now);
      this.compression.record(rate, now);
    }
    this.records.add(records, now);
    this.requests.add(1, now);
    this.recordsPerRequest.record(records, now);
  }

  answered(
    _batches: readonly PartitionBatch[],
    _outcomes: readonly PartitionOutcome[],
    latencyMs: number,
  ): void {
    this.latency.record(latencyMs, this.now());
  }

  retried(
    records: number,
    _error: KafkaProducerError,
    _waitMs: number,
    batches: readonly PartitionBatch[],
  ): void {
    const now = this.now();
    this.retries.add(records, now);
    for (const wire of batches) this.topic(wire.topic).retries.add(wire.batch.count, now);
  }

  batchFailed(batch: ProducerBatch): void {
    const now = this.now();
    const n = batch.records.length;
    this.errors.add(n, now);
    this.topic(batch.topic).errors.add(n, now);
  }

  failed(_error: KafkaProducerError, record: FailedRecord): void {
    const now = this.now();
    this.errors.add(1, now);
    this.topic(record.topic).errors.add(1, now);
  }

  /** The producer-metrics group now, with the buffer's state. */
  values(buffer: BufferState): ProducerMetricValues {
    const now = this.now();
    const waitNs = Math.round(buffer.waitTimeMs * 1e6);
    return {
      'record-send-total': this.records.total,
      'record-send-rate': this.records.stat.rate(now),
      'record-error-total': this.errors.total,
      'record-error-rate': this.errors.stat.rate(now),
      'record-retry-total': this.retries.total,
      'record-retry-rate': this.retries.stat.rate(now),
      'record-queue-time-avg': this.queueTime.avg(now),
      'record-queue-time-max': this.queueTime.max(now),
      'request-latency-avg': this.latency.avg(now),
      'request-latency-max': this.latency.max(now),
      'request-total': this.requests.total,
      'request-rate': this.requests.stat.rate(now),
      'batch-size-avg': this.batchSize.avg(now),
      'batch-size-max': this.batchSize.max(now),
      'records-per-request-avg': this.recordsPerRequest.avg(now),
      'compression-rate-avg': this.compression.avg(now),
      'byte-total': this.bytes.total,
      'byte-rate': this.bytes.stat.rate(now),
      'buffer-total-bytes': buffer.total,
      'buffer-available-bytes': buffer.available,
      'bufferpool-wait-time-total': waitNs,
      'bufferpool-wait-time-ns-total': waitNs,
      'waiting-threads': buffer.waiting,
    };
  }

  /** The producer-topic-metrics group of every topic seen so far. */
  topicValues(): Record<string, ProducerTopicMetricValues> {
    const now = this.now();
    const out: Record<string, ProducerTopicMetricValues> = {};
    for (const [name, t] of this.topics) {
      out[name] = {
        'record-send-total': t.sent.total,
        'record-send-rate': t.sent.stat.rate(now),
        'record-error-total': t.errors.total,
        'record-error-rate': t.errors.stat.rate(now),
        'record-retry-total': t.retries.total,
        'record-retry-rate': t.retries.stat.rate(now),
        'byte-total': t.bytes.total,
        'byte-rate': t.bytes.stat.rate(now),
        'compression-rate': t.compression.avg(now),
      };
    }
    return out;
  }

  private topic(name: string): TopicStats {
    let stats = this.topics.get(name);
    if (!stats) this.topics.set(name, (stats = new TopicStats()));
    return stats;
  }
}

/** The outbox's stats under metric names. */
export function outboxValues(stats: {
  backlog: number;
  oldestAgeMs: number | null;
  dead: number;
}): OutboxMetricValues {
  return { backlog: stats.backlog, 'oldest-age-ms': stats.oldestAgeMs ?? 0, dead: stats.dead };
}
