import 'reflect-metadata';
import type { Logger } from '@nestjs/common';
import * as api from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
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
import { OtelMeters } from './otel-meters.js';

@KafkaEvent('meters.spec')
@KeyedBy('id')
class Measured {
  constructor(public id = 'k') {}
}

const logger = { log: () => 0, warn: () => 0, error: () => 0 } as unknown as Logger;

/** Offsets per partition; every batch for topic `refused` fails for good. */
class MemoryTransport implements Transport {
  private offset = 0;
  closed = false;
  connect = () => Promise.resolve();
  partitions = () => 1;
  maxInFlight = () => 1;
  close = () => Promise.resolve();
  produce(batches: readonly PartitionBatch[]): Promise<PartitionOutcome[]> {
    return Promise.resolve(
      batches.map(({ topic, batch }) => {
        if (topic === 'refused') {
          return { error: new SendFailedError(topic, false, 'INVALID_RECORD', 'refused') };
        }
        const baseOffset = this.offset;
        this.offset += batch.count;
        return { baseOffset };
      }),
    );
  }
}

describe('OtelMeters (real OpenTelemetry metrics SDK, memory transport)', () => {
  it('counts sent messages per batch and records each batch’s duration, with error.type on failure', async () => {
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
    });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const meters = new OtelMeters(api, { meterProvider, semconv: 'v1.27', clientId: 'meters' });
    const engine = new ProducerEngine({
      options: resolveOptions({ client: { brokers: ['memory:1'] }, producer: { lingerMs: 0 } }),
      logger,
      transport: new MemoryTransport(),
      observers: [meters],
      countingObservers: [meters],
    });
    await engine.start();
    await Promise.all(Array.from({ length: 7 }, () => engine.send(new Measured())));
    await expect(engine.send(new Measured(), { topic: 'refused' })).rejects.toThrow('refused');
    const { resourceMetrics } = await reader.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const sent = metrics.find(
      (m) => m.descriptor.name === 'messaging.client.sent.messages',
    ) as SumMetricData;
    const duration = metrics.find(
      (m) => m.descriptor.name === 'messaging.client.operation.duration',
    ) as HistogramMetricData;
    const ok = sent.dataPoints.find(
      (p) => p.attributes['messaging.destination.name'] === 'meters.spec',
    )!;
    const failed = sent.dataPoints.find((p) => p.attributes['error.type'] === 'INVALID_RECORD')!;
    expect(ok.value).toBe(7);
    expect(ok.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'meters.spec',
      'messaging.client.id': 'meters',
    });
    expect(failed.value).toBe(1);
    expect(failed.attributes['messaging.destination.name']).toBe('refused');
    expect(duration.descriptor.unit).toBe('s');
    const okDuration = duration.dataPoints.find((p) => p.attributes['error.type'] === undefined)!;
    // One measurement per acked batch (lingerMs 0: the 7 sends make 1 to 7 batches), each ≥ 0
    expect(okDuration.value.count).toBeGreaterThanOrEqual(1);
    expect(okDuration.value.count).toBeLessThanOrEqual(7);
    expect(okDuration.value.min).toBeGreaterThanOrEqual(0);
    const failedDuration = duration.dataPoints.find(
      (p) => p.attributes['error.type'] !== undefined,
    )!;
    expect(failedDuration.value.count).toBe(1);
    await engine.close();
    await meterProvider.shutdown();
  });
});
