import { KafkaProducerError } from '../errors/kafka-producer.error.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import { readRecordBatch } from '../protocol/record-batch-reader.js';
import type {
  PartitionBatch,
  PartitionOutcome,
  TopicOffsets,
} from '../transport/transport.interface.js';

/** A record the in-memory broker acknowledged, as a consumer would read it. */
export interface RecordedRecord {
  readonly topic: string;
  /** The partition the producer chose (explicit, your partitioner, or Java's). */
  readonly partition: number;
  /** Its offset in the partition (int64 as a decimal string), counted from 0 per partition. */
  readonly offset: string;
  /** The key's bytes as UTF-8, or `null` for a keyless record. */
  readonly key: string | null;
  /**
   * The value decoded: the parsed JSON when the bytes are JSON (the default `'json'`
   * serializer), else the UTF-8 string; `null` for a null value (a tombstone).
   */
  readonly value: unknown;
  /** Every header as UTF-8 (`x-event-id` included). */
  readonly headers: Record<string, string>;
  /** CreateTime, ms since the epoch. */
  readonly timestamp: number;
  /** The bytes as they would be on the broker. */
  readonly raw: {
    readonly key: Buffer | null;
    readonly value: Buffer | null;
    readonly headers: Record<string, Buffer>;
  };
}

/** A consumer group's offsets sent in a transaction (`tx.sendOffsets`). */
export interface RecordedOffsets {
  readonly consumerGroupId: string;
  readonly topics: readonly TopicOffsets[];
}

/** One transaction the in-memory broker saw, by its transactional id. */
export interface RecordedTransaction {
  readonly transactionalId: string;
  /** `open` until the producer commits or aborts it. */
  readonly state: 'open' | 'committed' | 'aborted';
  /** Its records, in acknowledgement order (offsets are taken when they are appended, as Kafka does). */
  readonly records: readonly RecordedRecord[];
  /** The consumer offsets it carries (committed for their group only when it commits). */
  readonly offsets: readonly RecordedOffsets[];
}

interface OpenTransaction {
  transactionalId: string;
  state: RecordedTransaction['state'];
  records: RecordedRecord[];
  offsets: RecordedOffsets[];
}

/** Options of the in-memory broker; see `KafkaProducerTestingModule.forRoot`. */
export interface RecorderOptions {
  /** Acknowledge every request at once (`true`, the default) or wait for `completeNext()` / `errorNext()`. */
  autoComplete?: boolean;
  /** Partition counts by topic. Topics not listed have `defaultPartitions`. */
  partitions?: Record<string, number>;
  /** Partitions of a topic not in `partitions` (created on first send, as with auto-creation). Default 1. */
  defaultPartitions?: number;
}

/** One partition batch handed to the in-memory broker and not answered yet. */
interface PendingBatch {
  readonly batch: PartitionBatch;
  readonly codec: CompressionCodec;
  readonly settle: (outcome: PartitionOutcome) => void;
  /** The transaction it belongs to, if any. */
  readonly tx?: OpenTransaction;
}

interface Waiter {
  readonly topic: string;
  readonly count: number;
  readonly resolve: (records: RecordedRecord[]) => void;
}

function decodeValue(bytes: Buffer | null): unknown {
  if (bytes === null) return null;
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function typed(topic: string, error: Error): KafkaProducerError {
  return error instanceof KafkaProducerError
    ? error
    : new SendFailedError(topic, false, undefined, error.message, error);
}

/**
 * The in-memory broker of `KafkaProducerTestingModule` and what it recorded: the records it
 * acknowledged (`history`), the requests it holds (`autoComplete: false`), and the errors it
 * answers with. Every record got there through the producer's real path (validation, keys,
 * serializers, partitioner, accumulator, sender), so what it shows is what Kafka would get.
 * No test framework is needed: `waitFor` is a plain promise.
 */
export class ProducerRecorder {
  /** Whether requests are acknowledged at once (see {@link RecorderOptions.autoComplete}). */
  autoComplete: boolean;
  private readonly partitionCounts: Record<string, number>;
  private readonly defaultPartitions: number;
  private readonly records: RecordedRecord[] = [];
  private readonly nextOffsets = new Map<string, number>();
  private readonly pending: PendingBatch[] = [];
  private readonly topicErrors = new Map<string, Error>();
  private waiters: Waiter[] = [];
  private readonly txs: OpenTransaction[] = [];
  /** The open transaction of each transactional id. */
  private readonly openTx = new Map<string, OpenTransaction>();

  constructor(options: RecorderOptions = {}) {
    this.autoComplete = options.autoComplete ?? true;
    this.partitionCounts = { ...options.partitions };
    this.defaultPartitions = options.defaultPartitions ?? 1;
  }

  /**
   * The records acknowledged so far (of `topic`, or of every topic), in acknowledgement order,
   * as a `read_committed` consumer sees them: those of a transaction appear when it commits,
   * never when it aborts (see {@link transactions}).
   */
  history(topic?: string): RecordedRecord[] {
    return topic === undefined ? [...this.records] : this.records.filter((r) => r.topic === topic);
  }

  /** Every transaction so far (open, committed, aborted), in the order they began. */
  transactions(): RecordedTransaction[] {
    return this.txs.map((t) => ({ ...t, records: [...t.records], offsets: [...t.offsets] }));
  }

  /** The records of committed transactions (of `topic`, or of every topic). */
  committed(topic?: string): RecordedRecord[] {
    return this.recordsOf('committed', topic);
  }

  /** The records of aborted transactions (of `topic`, or of every topic): on the log, never read committed. */
  aborted(topic?: string): RecordedRecord[] {
    return this.recordsOf('aborted', topic);
  }

  /** Forgets the history, the transactions and the per-topic errors (offsets go on; pending requests stay). */
  clear(): void {
    this.records.length = 0;
    this.topicErrors.clear();
    // Open transactions stay: their records appear when they commit.
    this.txs.splice(0, this.txs.length, ...this.txs.filter((t) => t.state === 'open'));
  }

  /** Partition batches waiting for `completeNext()` / `errorNext()` (with `autoComplete: false`). */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Acknowledges the oldest waiting partition batch (the records the accumulator sent together
   * to one partition); resolves with its records once they are in the history, or with `[]`
   * when nothing is waiting.
   */
  async completeNext(): Promise<RecordedRecord[]> {
    const next = this.pending.shift();
    return next ? this.acknowledge(next) : [];
  }

  /**
   * Fails the oldest waiting partition batch with `error` (a plain Error becomes a
   * non-retriable SendFailedError; a retriable KafkaProducerError is retried by the producer
   * until its delivery timeout, as a real broker error would be). Returns whether one waited.
   */
  errorNext(error: Error): boolean {
    const next = this.pending.shift();
    if (!next) return false;
    next.settle({ error: typed(next.batch.topic, error) });
    return true;
  }

  /**
   * Every later request for `topic` fails with `error` (see {@link errorNext} for how it is
   * typed), until `failTopic(topic, undefined)` or `clear()`.
   */
  failTopic(topic: string, error: Error | undefined): void {
    if (error) this.topicErrors.set(topic, error);
    else this.topicErrors.delete(topic);
  }

  /**
   * Resolves with `history(topic)` once it holds at least `count` records; rejects with an
   * Error saying how many arrived if that takes longer than `timeoutMs` (default 5000).
   */
  waitFor(topic: string, count: number, timeoutMs = 5000): Promise<RecordedRecord[]> {
    const have = this.history(topic);
    if (have.length >= count) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const got = this.history(topic).length;
        reject(new Error(`waitFor('${topic}', ${count}): ${got} record(s) after ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        topic,
        count,
        resolve: (records) => {
          clearTimeout(timer);
          resolve(records);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** @internal The partition count of `topic`. */
  partitionsOf(topic: string): number {
    return this.partitionCounts[topic] ?? this.defaultPartitions;
  }

  /** @internal A transactional producer opened a transaction. */
  beginTransaction(transactionalId: string): void {
    const tx: OpenTransaction = { transactionalId, state: 'open', records: [], offsets: [] };
    this.txs.push(tx);
    this.openTx.set(transactionalId, tx);
  }

  /** @internal Offsets sent in the open transaction of `transactionalId`. */
  transactionOffsets(transactionalId: string, offsets: RecordedOffsets): void {
    this.openTx.get(transactionalId)?.offsets.push(offsets);
  }

  /** @internal The open transaction of `transactionalId` ends. */
  endTransaction(transactionalId: string, commit: boolean): void {
    const tx = this.openTx.get(transactionalId);
    if (!tx) return;
    this.openTx.delete(transactionalId);
    tx.state = commit ? 'committed' : 'aborted';
    if (commit) {
      this.records.push(...tx.records);
      this.wake();
    }
  }

  /** @internal The in-memory transport's produce: an outcome per batch, in order. */
  produce(
    batches: readonly PartitionBatch[],
    codec: CompressionCodec,
    transactionalId?: string,
  ): Promise<PartitionOutcome[]> {
    return Promise.all(
      batches.map(
        (batch) =>
          new Promise<PartitionOutcome>((settle) => {
            const failure = this.topicErrors.get(batch.topic);
            if (failure) return settle({ error: typed(batch.topic, failure) });
            const tx = transactionalId ? this.openTx.get(transactionalId) : undefined;
            const pending = { batch, codec, settle, tx };
            if (this.autoComplete) void this.acknowledge(pending);
            else this.pending.push(pending);
          }),
      ),
    );
  }

  private recordsOf(state: RecordedTransaction['state'], topic?: string): RecordedRecord[] {
    const records = this.txs.filter((t) => t.state === state).flatMap((t) => t.records);
    return topic === undefined ? records : records.filter((r) => r.topic === topic);
  }

  private async acknowledge({ batch, codec, settle, tx }: PendingBatch): Promise<RecordedRecord[]> {
    let read;
    try {
      read = await readRecordBatch(batch.batch, codec);
    } catch (error) {
      settle({ error: typed(batch.topic, error as Error) });
      return [];
    }
    const slot = `${batch.topic}\u0000${batch.partition}`;
    const base = this.nextOffsets.get(slot) ?? 0;
    this.nextOffsets.set(slot, base + read.length);
    const timestamp0 = batch.batch.firstTimestamp;
    const added = read.map((r): RecordedRecord => {
      const headers: Record<string, string> = {};
      for (const name in r.headers) headers[name] = r.headers[name].toString('utf8');
      return {
        topic: batch.topic,
        partition: batch.partition,
        offset: String(base + r.offsetDelta),
        key: r.key === null ? null : r.key.toString('utf8'),
        value: decodeValue(r.value),
        headers,
        timestamp: timestamp0 + r.timestampDelta,
        raw: { key: r.key, value: r.value, headers: r.headers },
      };
    });
    if (tx) tx.records.push(...added);
    else this.records.push(...added);
    settle({ baseOffset: base });
    if (!tx) this.wake();
    return added;
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => this.history(w.topic).length >= w.count);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(this.history(w.topic));
  }
}
