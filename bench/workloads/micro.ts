import 'reflect-metadata';
import { KafkaEvent } from '../../lib/decorators/kafka-event.decorator.js';
import { ProducerEngine } from '../../lib/engine/producer-engine.js';
import { resolveOptions } from '../../lib/kafka-producer.options.js';
import type {
  PartitionBatch,
  PartitionOutcome,
  Transport,
} from '../../lib/transport/transport.interface.js';
import { KeyedBy } from '../../lib/decorators/keyed-by.decorator.js';
import type { SchemaRegistryApi } from '../../lib/interfaces/schema-registry.interface.js';
import type { Serializer } from '../../lib/interfaces/serializer.interface.js';
import { EventMetadataAccessor } from '../../lib/metadata/event-metadata.accessor.js';
import { RecordBuilder } from '../../lib/record/record-builder.js';
import { avro, jsonSchema, protobuf } from '../../lib/serialization/registry/schema-serializers.js';
import { resolveSerializer } from '../../lib/serialization/serializer-registry.js';
import { OtelTracer } from '../../lib/observability/otel-tracer.js';
import { EventValidator } from '../../lib/validation/event-validator.js';
import { BenchEventBase, eventClass, loadModule } from '../peers/module.js';
import { PayloadFactory } from '../support/payload.js';
import { AVRO_SCHEMA, JSON_SCHEMA, PROTO_SCHEMA } from '../support/schemas.js';
import type { CellResult, CellSpec, MicroRow } from '../support/types.js';
import type { Report } from './throughput.js';

const MAX_REQUEST_SIZE = 1048576;

/**
 * A registry in memory: W5 measures serialization once the schema id is cached (what every
 * send after a class's first one does), so no registry is involved after the warm-up.
 */
const MEMORY_REGISTRY: SchemaRegistryApi = {
  register: () => Promise.resolve(1),
  lookup: (subject, schema) => Promise.resolve({ subject, id: 1, version: 1, ...schema }),
  latest: () => Promise.reject(new Error('not used')),
  schemaById: () => Promise.reject(new Error('not used')),
};

/** A keyed event class whose value serializer is `serializer`. */
function schemaEventClass(topic: string, serializer: Serializer): new () => BenchEventBase {
  class SchemaBenchEvent extends BenchEventBase {}
  KafkaEvent(topic, { serializer })(SchemaBenchEvent);
  KeyedBy('id')(SchemaBenchEvent);
  return SchemaBenchEvent;
}

type Step = { name: string; run: (e: BenchEventBase) => unknown };

async function pass(step: Step, events: BenchEventBase[], count: number): Promise<void> {
  const n = events.length;
  for (let i = 0; i < count; i++) {
    const r = step.run(events[i % n]);
    if (r instanceof Promise) await r;
  }
}

/** Wall and CPU time per event of `work`, which handles `iterations` events. */
async function measure(
  step: string,
  size: number,
  iterations: number,
  work: () => Promise<void>,
): Promise<MicroRow> {
  global.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const wallUs = (performance.now() - t0) * 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    step,
    size,
    iterations,
    usPerEvent: wallUs / iterations,
    cpuUsPerEvent: (cpu.user + cpu.system) / iterations,
  };
}

/**
 * The cost of a span per send (issue 16's tracing target): the OpenTelemetry SDK's own work
 * (a batch span processor and an exporter that drops every span, as in the bench's tracing
 * cell), recorded and sampled out, and the module's send span (OtelTracer: start, the trace
 * headers, end with the report's partition and offset) over the same SDK.
 */
async function spanSteps(): Promise<Step[]> {
  const api = await import('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor, TraceIdRatioBasedSampler } =
    await import('@opentelemetry/sdk-trace-base');
  const exporter = {
    export: (_spans: unknown, done: (result: { code: number }) => void) => done({ code: 0 }),
    shutdown: () => Promise.resolve(),
  };
  const provider = (sampled: boolean) =>
    new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(exporter)],
      ...(sampled ? {} : { sampler: new TraceIdRatioBasedSampler(0) }),
    });
  const recorded = provider(true);
  const sampledOut = provider(false);
  const attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.name': 'send',
    'messaging.operation.type': 'send',
    'messaging.client.id': 'bench',
    'messaging.destination.name': 'bench-micro',
  };
  const start = { kind: api.SpanKind.PRODUCER, attributes };
  const bare = (tracer: ReturnType<typeof recorded.getTracer>) => () => {
    const span = tracer.startSpan('send bench-micro', start);
    span.setAttributes({ 'messaging.destination.partition.id': '3', 'messaging.kafka.offset': 7 });
    span.end();
  };
  const headers = { 'x-event-id': Buffer.alloc(16) };
  const report = {
    topic: 'bench-micro',
    partition: 3,
    offset: '7',
    key: null,
    timestamp: '0',
    eventId: 'e',
  };
  const module = (tracer: OtelTracer) => () => {
    const span = tracer.start('bench-micro')!;
    span.headers(headers);
    span.end(report);
  };
  const ours = (p: typeof recorded) =>
    new OtelTracer(api, { tracerProvider: p, clientId: 'bench' });
  return [
    {
      name: 'OTel SDK span, recorded (startSpan with 5 attributes, 2 more, end; batch processor)',
      run: bare(recorded.getTracer('bench')),
    },
    {
      name: 'OTel SDK span, sampled out (ids made, nothing recorded)',
      run: bare(sampledOut.getTracer('bench')),
    },
    {
      name: "module's send span, recorded (start, trace headers, end)",
      run: module(ours(recorded)),
    },
    { name: "module's send span, sampled out", run: module(ours(sampledOut)) },
  ];
}

/** Callers of the concurrent rows, as in W1. */
const CALLERS = 1024;

/** A transport that answers every request in the next turn of the event loop: no network. */
class AnsweringTransport implements Transport {
  private readonly logs = new Map<string, number>();
  closed = false;
  connect = () => Promise.resolve();
  partitions = () => 6;
  maxInFlight = () => 5;
  close = () => Promise.resolve();
  produce(batches: readonly PartitionBatch[]): Promise<PartitionOutcome[]> {
    return new Promise((resolve) =>
      setImmediate(() =>
        resolve(
          batches.map(({ topic, partition, batch }) => {
            const slot = `${topic}/${partition}`;
            const baseOffset = this.logs.get(slot) ?? 0;
            this.logs.set(slot, baseOffset + batch.count);
            return { baseOffset };
          }),
        ),
      ),
    );
  }
}

/** `CALLERS` callers, each awaiting `send(event)` before its next, until `count` sends. */
async function concurrently(
  send: (e: BenchEventBase) => Promise<unknown>,
  events: BenchEventBase[],
  count: number,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < count) await send(events[next++ % events.length]);
    }),
  );
}

/**
 * Rows of W5 that run `CALLERS` sends at a time: the module's engine without a network
 * (`send()` of the keyed event → validation → record → accumulator → record batch → an
 * answer in the next turn), and the least a per-record `send()` in Node can do
 * (JSON.stringify + Buffer.from and a promise per record, answered 1000 at a time in the
 * next turn). Neither has a broker, a socket or kafkajs: they bound what any network path
 * can reach.
 */
async function concurrentRows(
  events: BenchEventBase[],
  iterations: number,
  size: number,
): Promise<MicroRow[]> {
  const engine = new ProducerEngine({
    options: resolveOptions({
      client: { brokers: ['memory:1'] },
      reliability: 'all',
      producer: { lingerMs: 5 },
    }),
    logger: { log: () => undefined, warn: () => undefined, error: () => undefined } as never,
    transport: new AnsweringTransport(),
  });
  await engine.start();
  let queue: Array<() => void> = [];
  const answer = () => {
    const answered = queue;
    queue = [];
    for (const resolve of answered) resolve();
  };
  const floor = (e: BenchEventBase) =>
    new Promise<void>((resolve) => {
      Buffer.from(JSON.stringify(e));
      if (queue.push(resolve) === 1) setImmediate(answer);
      else if (queue.length >= 1000) answer();
    });
  const rows: Array<[string, (e: BenchEventBase) => Promise<unknown>]> = [
    [
      `engine without network: send() ×${CALLERS} callers, acks all, linger 5 ms`,
      (e) => engine.send(e),
    ],
    [`least per-record send() in Node: JSON + Buffer + a promise, ×${CALLERS} callers`, floor],
  ];
  const out: MicroRow[] = [];
  for (const [name, send] of rows) {
    await concurrently(send, events, Math.max(20_000, iterations >> 1)); // warm-up
    out.push(await measure(name, size, iterations, () => concurrently(send, events, iterations)));
  }
  await engine.close();
  return out;
}

/**
 * W5: CPU cost per event of the module's path before the network, measured on its building
 * blocks (no producer, no broker): the cached descriptor lookup (EventMetadataAccessor), the
 * class-validator pass (EventValidator), the @KeyedBy key, the record build (key + value
 * serialization, x-event-id header, size check: RecordBuilder), with JSON and with the schema
 * registry serializers (Avro, Protobuf, JSON Schema, their id cached), and the three together,
 * next to what a raw kafkajs user pays (JSON.stringify + Buffer.from) and the DTO's own
 * construction.
 */
export async function runMicro(spec: CellSpec, report: Report): Promise<CellResult> {
  const iterations = spec.iterations ?? 100_000;
  const accessor = new EventMetadataAccessor();
  const validator = new EventValidator();
  const builder = new RecordBuilder(
    resolveSerializer('json'),
    resolveSerializer('string'),
    MAX_REQUEST_SIZE,
    MEMORY_REGISTRY,
  );
  const lib = await loadModule();
  const spans = await spanSteps();
  const cases: Array<{ size: number; step: Step; events: BenchEventBase[] }> = [];
  const concurrent: Array<{ size: number; events: BenchEventBase[] }> = [];
  for (const size of [100, 1024]) {
    const Event = eventClass(lib, `bench-micro-${size}`, true);
    const factory = new PayloadFactory(size);
    const events = Array.from({ length: 4096 }, (_, i) =>
      Object.assign(new Event(), factory.fields(i)),
    );
    const descriptor = accessor.get(Event);
    const key = descriptor.key!;
    const [avroD, protoD, jsonD] = [
      avro(AVRO_SCHEMA),
      protobuf(PROTO_SCHEMA),
      jsonSchema(JSON_SCHEMA),
    ].map((serializer, i) =>
      accessor.get(schemaEventClass(`bench-micro-schema-${i}-${size}`, serializer)),
    );
    const steps: Step[] = [
      { name: 'new DTO (Object.assign into the class)', run: (e) => Object.assign(new Event(), e) },
      { name: 'descriptor lookup (accessor.get, cached)', run: (e) => accessor.get(e.constructor) },
      { name: 'validate (class-validator)', run: (e) => validator.validate(e, 'BenchEvent') },
      { name: 'key (@KeyedBy extractor)', run: (e) => key(e) },
      {
        name: 'build record (key, JSON value, headers, x-event-id, size)',
        run: (e) => builder.fromEvent(e, descriptor),
      },
      {
        name: 'build record, Avro value (avsc, Confluent framing, id cached)',
        run: (e) => builder.fromEvent(e, avroD),
      },
      {
        name: 'build record, Protobuf value (protobufjs, Confluent framing, id cached)',
        run: (e) => builder.fromEvent(e, protoD),
      },
      {
        name: 'build record, JSON Schema value (Ajv, Confluent framing, id cached)',
        run: (e) => builder.fromEvent(e, jsonD),
      },
      {
        name: 'whole path: lookup + validate + build',
        run: async (e) => {
          const d = accessor.get(e.constructor);
          await validator.validate(e, d.className);
          return builder.fromEvent(e, d);
        },
      },
      {
        name: 'whole path without validation: lookup + build',
        run: (e) => builder.fromEvent(e, accessor.get(e.constructor)),
      },
      {
        name: 'raw kafkajs user: JSON.stringify + Buffer.from',
        run: (e) => Buffer.from(JSON.stringify(e)),
      },
    ];
    for (const step of steps) cases.push({ size, step, events });
    concurrent.push({ size, events });
    if (size === 100) for (const step of spans) cases.push({ size, step, events });
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Warm every case first, so no step is measured while the JIT is still busy with another.
  const warm = Math.max(5000, iterations >> 2);
  for (const c of cases) await pass(c.step, c.events, warm);
  const rows: MicroRow[] = [];
  for (const [i, c] of cases.entries()) {
    rows.push(
      await measure(c.step.name, c.size, iterations, () => pass(c.step, c.events, iterations)),
    );
    report(i + 1, cases.length);
  }
  for (const { size, events } of concurrent) {
    rows.push(...(await concurrentRows(events, iterations * 4, size)));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    id: spec.id,
    spec,
    status: 'ok',
    records: 0,
    seconds,
    msgPerSec: 0,
    mibPerSec: 0,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    cpuUsPerRecord: 0,
    peakRssMiB: process.memoryUsage.rss() / (1024 * 1024),
    errors: 0,
    micro: rows,
  };
}
