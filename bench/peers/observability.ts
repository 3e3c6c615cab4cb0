/**
 * The observability cells (issue 16): the module with nothing observing it, with metrics on
 * (Java's metrics and OpenTelemetry meters through the metrics SDK), and with tracing on
 * (the OpenTelemetry API and trace SDK, a batch span processor and an exporter that drops
 * everything), at 100 B, C=1024, acks all, in the same run as the plain `module` cell.
 */
import type { KafkaProducerModuleOptions } from '../../lib/index.js';
import type { ModuleTuning, PeerName } from '../support/types.js';

/** The peers these cells add, and what each turns on. */
export const OBSERVABILITY_PEERS = {
  'module-bare': 'off',
  'module+metrics': 'metrics',
  'module+tracing': 'tracing',
} as const satisfies Partial<Record<PeerName, NonNullable<ModuleTuning['observability']>>>;

/** The W1 cell they run in (see matrixCells). */
export const OBSERVABILITY_CELL = { size: 100, keyed: false, partitions: 64, clusterSize: 1 };

/** The module options of a cell's observability setting (none: the module's defaults). */
export async function observabilityOptions(
  setting: ModuleTuning['observability'],
): Promise<Partial<KafkaProducerModuleOptions>> {
  if (setting === undefined) return {};
  if (setting === 'off') return { metrics: false, tracing: false, otelMetrics: false };
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
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const exporter = {
    export: (_spans: unknown, done: (result: { code: number }) => void) => done({ code: 0 }),
    shutdown: () => Promise.resolve(),
  };
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  return { metrics: false, otelMetrics: false, tracing: { tracerProvider } };
}
