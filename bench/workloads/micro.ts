import 'reflect-metadata';
import { KafkaEvent } from '../../lib/decorators/kafka-event.decorator.js';
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

async function measure(
  step: Step,
  events: BenchEventBase[],
  iterations: number,
  size: number,
): Promise<MicroRow> {
  global.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pass(step, events, iterations);
  const wallUs = (performance.now() - t0) * 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    step: step.name,
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
    if (size === 100) for (const step of spans) cases.push({ size, step, events });
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Warm every case first, so no step is measured while the JIT is still busy with another.
  const warm = Math.max(5000, iterations >> 2);
  for (const c of cases) await pass(c.step, c.events, warm);
  const rows: MicroRow[] = [];
  for (const [i, c] of cases.entries()) {
    rows.push(await measure(c.step, c.events, iterations, c.size));
    report(i + 1, cases.length);
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
