import 'reflect-metadata';
import type { Logger } from '@nestjs/common';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { KafkaEvent } from '../decorators/kafka-event.decorator.js';
import { KafkaHeader } from '../decorators/kafka-header.decorator.js';
import { KeyedBy } from '../decorators/keyed-by.decorator.js';
import { ProducerEngine } from '../engine/producer-engine.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import { resolveOptions } from '../kafka-producer.options.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import type {
  PartitionBatch,
  PartitionOutcome,
  Transport,
} from '../transport/transport.interface.js';
import {
  DEFERRED_ATTRIBUTE,
  loadOtelApi,
  OtelTracer,
  semconvFromEnv,
  type SemconvVersion,
} from './otel-tracer.js';

@KafkaEvent('trace.spec')
@KeyedBy('id')
class Traced {
  constructor(public id = 'k') {}
}

@KafkaEvent('trace.spec')
class WithOwnParent {
  @KafkaHeader('traceparent') parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
}

const logger = { log: () => 0, warn: () => 0, error: () => 0 } as unknown as Logger;

/** Offsets per partition; every batch for topic `refused` fails for good. */
class MemoryTransport implements Transport {
  readonly logs = new Map<string, number>();
  closed = false;
  connect = () => Promise.resolve();
  partitions = () => 2;
  maxInFlight = () => 1;
  close = () => Promise.resolve();
  produce(batches: readonly PartitionBatch[]): Promise<PartitionOutcome[]> {
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

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const appTracer = provider.getTracer('app');

/** An engine with the SDK's provider, or (`global`) with the API's global one. */
function setup(semconv?: SemconvVersion, global = false) {
  const records: OutgoingRecord[] = [];
  const engine = new ProducerEngine({
    options: resolveOptions({ client: { brokers: ['memory:1'] }, producer: { lingerMs: 0 } }),
    logger,
    transport: new MemoryTransport(),
    observers: [{ appended: (record) => records.push(record) }],
    tracer: new OtelTracer(
      api,
      global ? {} : { tracerProvider: provider, clientId: 'trace-spec', semconv },
    ),
  });
  return { engine, records };
}

const spansNamed = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);

describe('OtelTracer (real OpenTelemetry SDK, in-memory exporter, memory transport)', () => {
  beforeAll(() => {
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterEach(() => {
    exporter.reset();
    api.propagation.disable();
  });

  it('makes a PRODUCER span per send, child of the caller’s span, with semconv attributes and W3C headers', async () => {
    const { engine, records } = setup();
    await engine.start();
    const report = await appTracer.startActiveSpan('handler', async (parent) => {
      const sent = await engine.send(new Traced('key-1'));
      parent.end();
      return sent;
    });
    const [span] = spansNamed('send trace.spec');
    const [parent] = spansNamed('handler');
    expect(span.kind).toBe(api.SpanKind.PRODUCER);
    expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(span.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(span.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'trace.spec',
      'messaging.client.id': 'trace-spec',
      'messaging.destination.partition.id': String(report.partition),
      'messaging.kafka.offset': Number(report.offset),
      'messaging.kafka.message.key': 'key-1',
    });
    // No propagator is registered: the module writes W3C trace context itself.
    const { traceId, spanId } = span.spanContext();
    expect(records[0].headers.traceparent.toString()).toBe(`00-${traceId}-${spanId}-01`);
    expect(records[0].size).toBeGreaterThan(55);
    await engine.close();
  });

  it('gives each record of sendMany() and sendRaw() its own span under the caller, and its header', async () => {
    const { engine, records } = setup();
    await engine.start();
    const reports = await appTracer.startActiveSpan('batch-handler', async (parent) => {
      const many = await engine.sendMany([new Traced('a'), new Traced('b'), new Traced('c')]);
      const raw = await engine.sendRaw('trace.raw', [{ key: 'r', value: 'v' }]);
      parent.end();
      return [...many, ...raw];
    });
    const [parent] = spansNamed('batch-handler');
    const spans = [...spansNamed('send trace.spec'), ...spansNamed('send trace.raw')];
    expect(spans).toHaveLength(4);
    for (const span of spans) {
      expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(span.spanContext().traceId).toBe(parent.spanContext().traceId);
    }
    // Each span ended at its record's ack, with its offset; each record carries its span's id.
    const offsets = spans.map((s) => s.attributes['messaging.kafka.offset']).sort();
    expect(offsets).toEqual(reports.map((r) => Number(r.offset)).sort());
    const ids = new Set(spans.map((s) => s.spanContext().spanId));
    const written = records.map((r) => r.headers.traceparent.toString().split('-')[2]);
    expect(new Set(written)).toEqual(ids);
    await engine.close();
  });

  it('injects through the global propagator when one is set, and a header the user set wins', async () => {
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const { engine, records } = setup();
    await engine.start();
    await engine.send(new Traced('a'));
    await engine.send(new WithOwnParent());
    const [first, second] = spansNamed('send trace.spec');
    const { traceId, spanId } = first.spanContext();
    expect(records[0].headers.traceparent.toString()).toBe(`00-${traceId}-${spanId}-01`);
    expect(records[1].headers.traceparent.toString()).toBe(new WithOwnParent().parent);
    expect(second.spanContext().spanId).not.toBe('b7ad6b7169203331');
    await engine.close();
  });

  it('records a failure: error status, error.type and the exception', async () => {
    const { engine } = setup();
    await engine.start();
    await expect(engine.send(new Traced('x'), { topic: 'refused' })).rejects.toThrow('refused');
    const [span] = spansNamed('send refused');
    expect(span.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('INVALID_RECORD');
    expect(span.events.map((e) => e.name)).toEqual(['exception']);
    await engine.close();
  });

  it('gives the relay’s send of a stored record a new span linked to the stored context', async () => {
    const { engine, records } = setup();
    await engine.start();
    await engine.send(new Traced('first'));
    exporter.reset();
    const stored = records[0];
    const report = await engine.publish(stored);
    const [span] = spansNamed('send trace.spec');
    const [, traceId, spanId] = stored.headers.traceparent.toString().split('-');
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
      [traceId, spanId],
    ]);
    expect(span.spanContext().traceId).not.toBe(traceId);
    expect(span.attributes['messaging.kafka.offset']).toBe(Number(report.offset));
    await engine.close();
  });

  it('names attributes as semconv 1.45 does when asked, or both', async () => {
    const { engine } = setup('both');
    await engine.start();
    await engine.send(new Traced('k'));
    const [span] = spansNamed('send trace.spec');
    expect(span.attributes['messaging.system']).toBe('kafka');
    expect(span.attributes['messaging.system.name']).toBe('kafka');
    expect(span.attributes['kafka.message.key']).toBe('k');
    expect(span.attributes['kafka.offset']).toBe(span.attributes['messaging.kafka.offset']);
    expect(span.attributes[DEFERRED_ATTRIBUTE]).toBeUndefined();
    await engine.close();
  });

  it('starts nothing and writes no header without an SDK (the global no-op provider) and no parent', async () => {
    const { engine, records } = setup(undefined, true);
    await engine.start();
    await engine.send(new Traced('k'));
    expect(records[0].headers.traceparent).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);
    await engine.close();
  });

  it('without an SDK passes on the caller’s own span context (a no-op span of the parent)', async () => {
    const { engine, records } = setup(undefined, true);
    await engine.start();
    const remote = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    };
    const parent = api.trace.setSpanContext(api.context.active(), remote);
    await api.context.with(parent, () => engine.send(new Traced('k')));
    expect(records[0].headers.traceparent.toString()).toBe(
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    );
    expect(exporter.getFinishedSpans()).toEqual([]);
    await engine.close();
  });

  it('traces sends once an SDK registers globally after the producer started', async () => {
    const { engine, records } = setup(undefined, true);
    await engine.start();
    try {
      await engine.send(new Traced('before'));
      expect(api.trace.setGlobalTracerProvider(provider)).toBe(true);
      await engine.send(new Traced('after'));
      expect(records[0].headers.traceparent).toBeUndefined();
      const [span] = spansNamed('send trace.spec');
      expect(span.attributes['messaging.kafka.message.key']).toBe('after');
      const [, traceId, spanId] = records[1].headers.traceparent.toString().split('-');
      expect([traceId, spanId]).toEqual([span.spanContext().traceId, span.spanContext().spanId]);
    } finally {
      api.trace.disable();
      await engine.close();
    }
  });

  it('picks the conventions from OTEL_SEMCONV_STABILITY_OPT_IN, and is absent without the API', () => {
    expect(semconvFromEnv(undefined)).toBe('v1.27');
    expect(semconvFromEnv('http,messaging')).toBe('v1.45');
    expect(semconvFromEnv('messaging,messaging/dup')).toBe('both');
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), {
        code: 'MODULE_NOT_FOUND',
      });
    };
    expect(loadOtelApi(missing)).toBeUndefined();
    expect(loadOtelApi()).toBeDefined();
  });
});
