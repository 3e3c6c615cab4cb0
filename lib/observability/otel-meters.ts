import type * as OtelApi from '@opentelemetry/api';
import type { ProducerBatch } from '../accumulator/producer-batch.js';
import type { PartitionBatch, PartitionOutcome } from '../transport/transport.interface.js';
import {
  INSTRUMENTATION_NAME,
  INSTRUMENTATION_VERSION,
  semconvFromEnv,
  type SemconvVersion,
} from './otel-tracer.js';
import type { SendObserver } from './send-observer.js';

type Api = typeof OtelApi;

/** The histogram buckets the messaging conventions advise for operation durations (s). */
const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** Meter options as the module takes them. */
export interface OtelMetersOptions {
  /** A MeterProvider to use instead of the global one. */
  readonly meterProvider?: OtelApi.MeterProvider;
  readonly semconv?: SemconvVersion;
  readonly clientId?: string;
}

/** Longest a batch's records may have waited for their ack before the figure is not trusted (ms). */
const PLAUSIBLE_MS = 10 * 60_000;

/**
 * The messaging conventions' client metrics over `@opentelemetry/api`, counted per batch (the
 * conventions' batch operations: one measurement per batch), so a send costs nothing here:
 * the `messaging.client.sent.messages` counter adds a batch's record count when the broker
 * acks it, or when it fails for good (with `error.type`); the
 * `messaging.client.operation.duration` histogram records, per batch, the seconds from its
 * oldest record's creation (its CreateTime) to the ack or the failure. A batch of raw records
 * with their own timestamps (older than ten minutes, or in the future) is measured from its
 * request instead. Attributes: `messaging.system`, `messaging.operation.name`,
 * `messaging.destination.name`, `messaging.client.id`, and `error.type` on failure.
 */
export class OtelMeters implements SendObserver {
  private readonly sentMessages: OtelApi.Counter;
  private readonly duration: OtelApi.Histogram;
  private readonly base: OtelApi.Attributes;
  private readonly byTopic = new Map<string, OtelApi.Attributes>();

  constructor(api: Api, options: OtelMetersOptions = {}) {
    const provider = options.meterProvider ?? api.metrics;
    const meter = provider.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    this.sentMessages = meter.createCounter('messaging.client.sent.messages', {
      description: 'Number of messages a producer attempted to send to the broker.',
      unit: '{message}',
    });
    this.duration = meter.createHistogram('messaging.client.operation.duration', {
      description:
        "Duration of a batch send, from its oldest record's creation to its ack or error.",
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
    const semconv = options.semconv ?? semconvFromEnv(process.env.OTEL_SEMCONV_STABILITY_OPT_IN);
    const base: OtelApi.Attributes = { 'messaging.operation.name': 'send' };
    if (semconv !== 'v1.45') base['messaging.system'] = 'kafka';
    if (semconv !== 'v1.27') base['messaging.system.name'] = 'kafka';
    if (options.clientId) base['messaging.client.id'] = options.clientId;
    this.base = base;
  }

  /**
   * Whether meters from the global MeterProvider record anything: the API's metrics have no
   * proxy, so a meter taken before an SDK is registered stays the no-op one.
   */
  static globalProviderRecords(api: Api): boolean {
    return api.metrics.getMeterProvider().constructor.name !== 'NoopMeterProvider';
  }

  answered(
    batches: readonly PartitionBatch[],
    outcomes: readonly PartitionOutcome[],
    latencyMs: number,
  ): void {
    const now = Date.now();
    for (let i = 0; i < batches.length; i++) {
      // A failed answer is retried, or ends in batchFailed.
      if (outcomes[i]?.error !== undefined) continue;
      const { topic, batch } = batches[i];
      const attributes = this.attributesOf(topic);
      this.sentMessages.add(batch.count, attributes);
      this.duration.record(seconds(now - batch.firstTimestamp, latencyMs), attributes);
    }
  }

  batchFailed(batch: ProducerBatch, error: Error): void {
    const attributes = { ...this.attributesOf(batch.topic), 'error.type': errorType(error) };
    this.sentMessages.add(batch.records.length, attributes);
    this.duration.record(seconds(Date.now() - batch.createdAt, 0), attributes);
  }

  private attributesOf(topic: string): OtelApi.Attributes {
    let attributes = this.byTopic.get(topic);
    if (!attributes) {
      attributes = { ...this.base, 'messaging.destination.name': topic };
      this.byTopic.set(topic, attributes);
    }
    return attributes;
  }
}

function seconds(sinceOldestMs: number, requestMs: number): number {
  const ms = sinceOldestMs >= 0 && sinceOldestMs <= PLAUSIBLE_MS ? sinceOldestMs : requestMs;
  return ms / 1000;
}

/** The broker's error name when the error carries one, else the error's class name. */
function errorType(error: unknown): string {
  const broker = (error as { brokerError?: unknown } | null)?.brokerError;
  return typeof broker === 'string' ? broker : error instanceof Error ? error.name : '_OTHER';
}
