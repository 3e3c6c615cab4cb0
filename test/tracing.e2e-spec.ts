import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { IsString } from 'class-validator';
import {
  KafkaEvent,
  KafkaProducerModule,
  KeyedBy,
  MemoryOutboxStore,
  OutboxService,
  ProducerService,
  type KafkaProducerModuleOptions,
} from '../lib/index.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { readTopic, type ReadRecord } from './support/read-topic.js';

const topic = uniqueTopic('e2e-tracing');
/** Written only in transactions (its commit markers would upset the counts of `topic`). */
const txTopic = uniqueTopic('e2e-tracing-tx');

@KafkaEvent(topic)
@KeyedBy('id')
class TracedOrder {
  @IsString() id!: string;
  static of(id: string) {
    return Object.assign(new TracedOrder(), { id });
  }
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const app = provider.getTracer('e2e-app');

function traceparent(record: ReadRecord): { traceId: string; spanId: string } {
  const [, traceId, spanId] = record.headers.traceparent.toString().split('-');
  return { traceId, spanId };
}

async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('tracing against a real broker (OpenTelemetry SDK, in-memory exporter)', () => {
  const brokers = testBrokers();
  let nest: INestApplicationContext | undefined;

  async function boot(extra: Partial<KafkaProducerModuleOptions> = {}) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers, clientId: 'e2e-tracing' },
          tracing: { tracerProvider: provider },
          ...extra,
        }),
      ],
    }).compile();
    return (nest = await moduleRef.init());
  }

  beforeAll(async () => {
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    await createTopic(brokers, topic, 3);
    await createTopic(brokers, txTopic, 2);
  });
  afterEach(async () => {
    await nest?.close();
    nest = undefined;
    exporter.reset();
  });

  it('a consumer reads the send span’s trace context back from the record, under the caller’s trace', async () => {
    const producer = (await boot()).get(ProducerService);
    const reports = await app.startActiveSpan('handler', async (handler) => {
      const sent = await Promise.all(
        ['a', 'b', 'c'].map((id) => producer.send(TracedOrder.of(id))),
      );
      handler.end();
      return sent;
    });
    const records = await readTopic(brokers, topic, 3);
    const [handler] = exporter.getFinishedSpans().filter((s) => s.name === 'handler');
    const sends = exporter.getFinishedSpans().filter((s) => s.name === `send ${topic}`);
    expect(sends).toHaveLength(3);
    for (const record of records) {
      const { traceId, spanId } = traceparent(record);
      const span = sends.find((s) => s.spanContext().spanId === spanId)!;
      expect(span).toBeDefined();
      expect(traceId).toBe(span.spanContext().traceId);
      expect(traceId).toBe(handler.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(handler.spanContext().spanId);
      expect(span.attributes['messaging.kafka.offset']).toBe(Number(record.offset));
      expect(span.attributes['messaging.destination.partition.id']).toBe(String(record.partition));
      expect(span.attributes['messaging.kafka.message.key']).toBe(record.key!.toString());
      const report = reports.find((r) => r.eventId === record.headers['x-event-id'].toString());
      expect(report!.offset).toBe(record.offset);
    }
  });

  it('transactions: each tx.send is a span under the caller’s trace, carried by the committed record', async () => {
    const producer = (
      await boot({ transactionalIdPrefix: `e2e-tracing-${process.pid}`, transactionalProducers: 1 })
    ).get(ProducerService);
    const reports = await app.startActiveSpan('handler', async (handler) => {
      const sent = await producer.transaction((tx) =>
        Promise.all(['t1', 't2'].map((id) => tx.send(TracedOrder.of(id), { topic: txTopic }))),
      );
      handler.end();
      return sent;
    });
    const records = await readTopic(brokers, txTopic, 2, { settleMs: 1000 });
    const [handler] = exporter.getFinishedSpans().filter((s) => s.name === 'handler');
    const sends = exporter.getFinishedSpans().filter((s) => s.name === `send ${txTopic}`);
    expect(records).toHaveLength(2);
    expect(sends).toHaveLength(2);
    for (const record of records) {
      const { traceId, spanId } = traceparent(record);
      const span = sends.find((s) => s.spanContext().spanId === spanId)!;
      expect(traceId).toBe(handler.spanContext().traceId);
      expect(span.parentSpanContext?.spanId).toBe(handler.spanContext().spanId);
      expect(span.attributes['messaging.kafka.offset']).toBe(Number(record.offset));
    }
    expect(reports.map((r) => r.offset).sort()).toEqual(records.map((r) => r.offset).sort());
    // The pooled transactional producer's records count in the producer's metrics too.
    expect((await producer.metrics()).topics[txTopic]['record-send-total']).toBe(2);
  });

  it('outbox: the stored row keeps the context; the relay’s send is a new span linked to it', async () => {
    const store = new MemoryOutboxStore();
    const outboxApp = await boot({ outbox: { store, relay: { pollIntervalMs: 100 } } });
    const before = await readTopic(brokers, topic, 3, { settleMs: 0 });
    await app.startActiveSpan('handler', async (handler) => {
      await outboxApp.get(OutboxService).enqueue([TracedOrder.of('stored')]);
      handler.end();
    });
    const records = await readTopic(brokers, topic, before.length + 1);
    const record = records.find((r) => r.key?.toString() === 'stored')!;
    const stored = traceparent(record);
    const relayed = (s: ReadableSpan) =>
      s.name === `send ${topic}` && s.links.some((l) => l.context.spanId === stored.spanId);
    await until(() => exporter.getFinishedSpans().some(relayed));
    const spans = exporter.getFinishedSpans();
    const [handler] = spans.filter((s) => s.name === 'handler');
    const deferred = spans.find((s) => s.spanContext().spanId === stored.spanId)!;
    const relay = spans.find(relayed)!;
    expect(stored.traceId).toBe(handler.spanContext().traceId);
    expect(deferred.parentSpanContext?.spanId).toBe(handler.spanContext().spanId);
    expect(deferred.attributes['nestjs_kafka_producer.outbox.deferred']).toBe(true);
    expect(relay.spanContext().traceId).not.toBe(stored.traceId);
    expect(relay.links[0].context.traceId).toBe(stored.traceId);
    expect(relay.attributes['messaging.kafka.offset']).toBe(Number(record.offset));
  });
});
