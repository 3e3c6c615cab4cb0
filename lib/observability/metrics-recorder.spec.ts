import 'reflect-metadata';
import type { Logger } from '@nestjs/common';
import { KafkaEvent } from '../decorators/kafka-event.decorator.js';
import { KeyedBy } from '../decorators/keyed-by.decorator.js';
import { ProducerEngine } from '../engine/producer-engine.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import { resolveOptions } from '../kafka-producer.options.js';
import type {
  PartitionBatch,
  PartitionOutcome,
  Transport,
} from '../transport/transport.interface.js';
import { MetricsRecorder, outboxValues } from './metrics-recorder.js';

@KafkaEvent('metrics.spec')
@KeyedBy('id')
class Tick {
  constructor(public id = 'k') {}
}

const logger = { log: () => 0, warn: () => 0, error: () => 0 } as unknown as Logger;

/**
 * A transport with a log per partition: fails the first `retriable` requests retriably, and
 * every batch for topic `refused` for good.
 */
class MemoryTransport implements Transport {
  readonly logs = new Map<string, number>();
  retriable = 0;
  closed = false;
  connect = () => Promise.resolve();
  partitions = () => 2;
  maxInFlight = () => 1;
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  produce(batches: readonly PartitionBatch[]): Promise<PartitionOutcome[]> {
    if (this.retriable-- > 0) {
      const error = new SendFailedError('metrics.spec', true, 'NOT_LEADER_OR_FOLLOWER', 'moved');
      return Promise.resolve(batches.map(() => ({ error })));
    }
    return Promise.resolve(
      batches.map(({ topic, partition, batch }) => {
        if (topic === 'refused') {
          return { error: new SendFailedError(topic, false, 'INVALID_RECORD', 'refused') };
        }
        const slot = `${topic}/${partition}`;
        const baseOffset = this.logs.get(slot) ?? 0;
        this.logs.set(slot, baseOffset + batch.count);
        return { baseOffset };
      }),
    );
  }
}

function setup(compression: 'none' | 'gzip' = 'none') {
  const transport = new MemoryTransport();
  const recorder = new MetricsRecorder();
  const options = resolveOptions({
    client: { brokers: ['memory:1'] },
    producer: {
      lingerMs: 0,
      retryBackoffMs: 1,
      retryBackoffMaxMs: 2,
      bufferMemory: 1 << 20,
      compression,
    },
  });
  const engine = new ProducerEngine({ options, logger, transport, observers: [recorder] });
  return { transport, recorder, engine };
}

describe('MetricsRecorder (Java producer metrics, over a memory transport)', () => {
  it('counts records sent per attempt, retries, requests and errors, per producer and topic', async () => {
    const { transport, recorder, engine } = setup();
    await engine.start();
    transport.retriable = 1;
    // Five records of one key in one turn: one request, failed once, then sent again.
    await Promise.all(Array.from({ length: 5 }, () => engine.send(new Tick('k'))));
    await expect(engine.send(new Tick('x'), { topic: 'refused' })).rejects.toThrow('refused');
    const values = recorder.values(engine.buffer());
    expect(values['record-send-total']).toBe(5 + 5 + 1);
    expect(values['record-retry-total']).toBe(5);
    expect(values['record-error-total']).toBe(1);
    expect(values['request-total']).toBe(3);
    expect(values['records-per-request-avg']).toBeCloseTo(11 / 3);
    expect(values['compression-rate-avg']).toBe(1);
    expect(values['request-latency-max']).toBeGreaterThanOrEqual(values['request-latency-avg']);
    expect(values['record-queue-time-max']).toBeGreaterThanOrEqual(0);
    expect(values['record-send-rate']).toBeGreaterThan(0);
    expect(values['buffer-total-bytes']).toBe(1 << 20);
    expect(values['buffer-available-bytes']).toBe(1 << 20);
    expect(values['waiting-threads']).toBe(0);
    const topics = recorder.topicValues();
    expect(topics['metrics.spec']['record-send-total']).toBe(10);
    expect(topics['metrics.spec']['record-retry-total']).toBe(5);
    expect(topics['metrics.spec']['record-error-total']).toBe(0);
    expect(topics.refused['record-send-total']).toBe(1);
    expect(topics.refused['record-error-total']).toBe(1);
    // The bytes are the record batches on the wire: every attempt's.
    expect(values['byte-total']).toBe(
      topics['metrics.spec']['byte-total'] + topics.refused['byte-total'],
    );
    expect(values['batch-size-max']).toBeGreaterThan(61);
    await engine.close();
  });

  it('counts failures after the append per batch when it is a counting observer (no per-send cost)', async () => {
    const transport = new MemoryTransport();
    const recorder = new MetricsRecorder();
    const options = resolveOptions({
      client: { brokers: ['memory:1'] },
      producer: { lingerMs: 0 },
    });
    const engine = new ProducerEngine({
      options,
      logger,
      transport,
      observers: [recorder],
      countingObservers: [recorder],
    });
    await engine.start();
    const refused = Array.from({ length: 3 }, () =>
      engine.send(new Tick('x'), { topic: 'refused' }).catch((e: Error) => e.message),
    );
    expect(await Promise.all(refused)).toEqual(
      ['refused', 'refused', 'refused'].map(expect.stringContaining),
    );
    await engine.send(new Tick('ok'));
    const values = recorder.values(engine.buffer());
    expect(values['record-error-total']).toBe(3);
    expect(recorder.topicValues().refused['record-error-total']).toBe(3);
    expect(values['record-send-total']).toBe(4);
    await engine.close();
  });

  it('reads the compressed over the uncompressed size as the compression rate', async () => {
    const { recorder, engine } = setup('gzip');
    await engine.start();
    await Promise.all(Array.from({ length: 50 }, () => engine.send(new Tick('same-key'))));
    const rate = recorder.values(engine.buffer())['compression-rate-avg'];
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThan(0.5);
    expect(recorder.topicValues()['metrics.spec']['compression-rate']).toBe(rate);
    await engine.close();
  });

  it('reads nothing recorded as Java does: NaN averages, zero totals', () => {
    const values = new MetricsRecorder().values({
      total: 10,
      available: 4,
      waiting: 2,
      waitTimeMs: 1.5,
    });
    expect(values['record-send-total']).toBe(0);
    expect(values['request-latency-avg']).toBeNaN();
    expect(values['buffer-available-bytes']).toBe(4);
    expect(values['waiting-threads']).toBe(2);
    expect(values['bufferpool-wait-time-ns-total']).toBe(1_500_000);
  });

  it('names the outbox numbers, with 0 for the age of an empty outbox', () => {
    expect(outboxValues({ backlog: 0, oldestAgeMs: null, dead: 2 })).toEqual({
      backlog: 0,
      'oldest-age-ms': 0,
      dead: 2,
    });
  });
});
