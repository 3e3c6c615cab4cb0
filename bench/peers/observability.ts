/**
 * The observability cells (issue 16): the module with nothing observing it, with metrics on
 * (Java's metrics and OpenTelemetry meters through the metrics SDK), and with tracing on
 * (the OpenTelemetry API and trace SDK, a batch span processor and an exporter that drops
 * everything), at 100 B, C=1024, acks all, in the same run as the plain `module` cell. Two
 * more say what bounds tracing's cost: tracing with a sampler that records one trace in ten
 * (`ParentBased(TraceIdRatioBased(0.1))`), and the SDK's own floor: the module untraced while
 * the driver makes one bare span per send (the same attributes, started at the call, ended
 * at the ack) on the same SDK set-up, with nothing of the module's tracing code.
 */
import type { KafkaProducerModuleOptions } from '../../lib/index.js';
import type { ModuleTuning, PeerName } from '../support/types.js';

/** The peers these cells add, and what each turns on. */
export const OBSERVABILITY_PEERS = {
  'module-bare': 'off',
  'module+metrics': 'metrics',
  'module+tracing': 'tracing',
  'module+tracing-10%': 'tracing-10%',
  'module+sdk-floor': 'sdk-floor',
} as const satisfies Partial<Record<PeerName, NonNullable<ModuleTuning['observability']>>>;

/** The W1 cell they run in (see matrixCells). */
export const OBSERVABILITY_CELL = { size: 100, keyed: false, partitions: 64, clusterSize: 1 };

/** The module options of a cell's observability setting (none: the module's defaults). */
export async function observabilityOptions(
  setting: ModuleTuning['observability'],
): Promise<Partial<KafkaProducerModuleOptions>> {
  if (setting === undefined) return {};
  if (setting === 'off' || setting === 'sdk-floor') {
    return { metrics: false, tracing: false, otelMetrics: false };
  }
  if (setting === 'metrics') {
    const {
      MeterProvider,
      PeriodicExportingMetricReader,
      InMemoryMetricExporter,
      AggregationTemporality,
    } = await import('@opentelemetry/sdk-metrics');
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 60_000,
    });
    const meterProvider = new MeterProvider({ readers: [reader] });
    return { metrics: true, tracing: false, otelMetrics: { meterProvider } };
  }
  const tracerProvider = await droppingTracerProvider(setting === 'tracing-10%' ? 0.1 : 1);
  return { metrics: false, otelMetrics: false, tracing: { tracerProvider } };
}

/** The trace SDK with a batch span processor and an exporter that drops every span. */
async function droppingTracerProvider(ratio: number) {
  const { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } =
    await import('@opentelemetry/sdk-trace-base');
  const exporter = {
    export: (_spans: unknown, done: (result: { code: number }) => void) => done({ code: 0 }),
    shutdown: () => Promise.resolve(),
  };
  return new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(exporter)],
    ...(ratio < 1
      ? { sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }) }
      : {}),
  });
}

/** What a send reports that a span records at its end. */
interface Acked {
  partition: number;
  offset: string;
}

/**
 * For `sdk-floor`: wraps each send in a bare SDK span (the attributes the module's spans
 * carry, started before the send, the partition and offset set and the span ended at the
 * ack); undefined for every other setting (the driver sends as it is).
 */
export async function sendWrapper(
  setting: ModuleTuning['observability'],
): Promise<(<T extends Acked>(send: () => Promise<T>) => Promise<T>) | undefined> {
  if (setting !== 'sdk-floor') return undefined;
  const api = await import('@opentelemetry/api');
  const tracer = (await droppingTracerProvider(1)).getTracer('bench-sdk-floor');
  const kind = api.SpanKind.PRODUCER;
  const attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.name': 'send',
    'messaging.operation.type': 'send',
    'messaging.client.id': 'bench',
    'messaging.destination.name': 'bench',
  };
  return (send) => {
    const span = tracer.startSpan('send bench', { kind, attributes });
    return send().then(
      (report) => {
        span.setAttributes({
          'messaging.destination.partition.id': String(report.partition),
          'messaging.kafka.offset': Number(report.offset),
        });
        span.end();
        return report;
      },
      (error: unknown) => {
        span.end();
        throw error;
      },
    );
  };
}
