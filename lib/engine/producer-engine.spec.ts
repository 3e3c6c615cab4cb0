import 'reflect-metadata';
import type { Logger } from '@nestjs/common';
import { KafkaEvent } from '../decorators/kafka-event.decorator.js';
import { KeyedBy } from '../decorators/keyed-by.decorator.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import { resolveOptions } from '../kafka-producer.options.js';
import type {
  PartitionBatch,
  PartitionOutcome,
  Transport,
} from '../transport/transport.interface.js';
import type { SendObserver } from '../observability/send-observer.js';
import { ProducerEngine } from './producer-engine.js';

@KafkaEvent('engine.spec')
@KeyedBy('id')
class Ping {
  constructor(public id = 'a') {}
}

const logger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as Logger;

/** A transport that keeps a log per partition and fails the first `failures` requests. */
class MemoryTransport implements Transport {
  readonly logs = new Map<string, number>();
  readonly requests: number[] = [];
  failures = 0;
  closed = false;
  connect(): Promise<void> {
    return Promise.resolve();
  }
  partitions(): number {
    return 3;
  }
  maxInFlight(): number {
    return 1;
  }
  produce(
    batches: readonly PartitionBatch[],
    _p: ReliabilityProfile,
    _c: CompressionCodec,
  ): Promise<PartitionOutcome[]> {
    this.requests.push(batches.length);
    if (this.failures-- > 0) {
      const error = new SendFailedError('engine.spec', true, 'NOT_LEADER_OR_FOLLOWER', 'moved');
      return Promise.resolve(batches.map(() => ({ error })));
    }
    return Promise.resolve(
      batches.map(({ topic, partition, batch }) => {
        const slot = `${topic}/${partition}`;
        const baseOffset = this.logs.get(slot) ?? 0;
        this.logs.set(slot, baseOffset + batch.count);
        return { baseOffset };
      }),
    );
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function engine(observer: SendObserver, transport = new MemoryTransport()) {
  const options = resolveOptions({
    client: { brokers: ['memory:1'] },
    producer: { lingerMs: 0, retryBackoffMs: 1, retryBackoffMaxMs: 2, deliveryTimeoutMs: 2000 },
  });
  return {
    transport,
    engine: new ProducerEngine({ options, logger, transport, observers: [observer] }),
  };
}

describe('ProducerEngine over a memory transport (no broker)', () => {
  it('tells observers of every stage: appended, sent, retried, acked', async () => {
    const seen: string[] = [];
    const { engine: e, transport } = engine({
      appended: (record, partition) =>
        seen.push(`appended ${record.keyValue as string}@${partition}`),
      sent: (batches) => seen.push(`sent ${batches.length}`),
      retried: (records, error) => seen.push(`retried ${records} ${error.name}`),
      acked: (report) => seen.push(`acked ${report.key as string} ${report.offset}`),
    });
    transport.failures = 1;
    await e.start();
    const report = await e.send(new Ping('a'));
    expect(report.offset).toBe('0');
    expect(seen).toEqual([
      `appended a@${report.partition}`,
      'sent 1',
      'retried 1 SendFailedError',
      'sent 1',
      'acked a 0',
    ]);
    await e.close();
    expect(transport.closed).toBe(true);
  });

  it('keeps one key in call order and numbers offsets per partition', async () => {
    const { engine: e } = engine({});
    await e.start();
    const reports = await Promise.all(Array.from({ length: 50 }, () => e.send(new Ping('k'))));
    expect(reports.map((r) => Number(r.offset))).toEqual(reports.map((_, i) => i));
    expect(new Set(reports.map((r) => r.partition)).size).toBe(1);
    await e.close();
  });

  it('failed observers hear of a record that failed, with its topic and event', async () => {
    const failures: string[] = [];
    const { engine: e } = engine({
      failed: (error, record) => failures.push(`${record.topic} ${error.name}`),
    });
    await e.start();
    await expect(e.send(Object.assign(new Ping(), { id: undefined }))).rejects.toThrow(
      /cannot derive the key/,
    );
    expect(failures).toEqual(['engine.spec KeyDerivationError']);
    await e.close();
  });
});
