import type * as OtelApi from '@opentelemetry/api';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import {
  INSTRUMENTATION_NAME,
  INSTRUMENTATION_VERSION,
  semconvFromEnv,
  type SemconvVersion,
} from './otel-tracer.js';
import type { SendSpan, SendTracer } from './send-tracer.js';

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

/**
 * The messaging conventions' client metrics over `@opentelemetry/api`, per send: the
 * `messaging.client.sent.messages` counter and the `messaging.client.operation.duration`
 * histogram (seconds from `send()` to its ack or error), with `messaging.system`,
 * `messaging.operation.name`, `messaging.destination.name` and, on failure, `error.type`.
 * It plugs into the engine as a SendTracer whose spans add no headers.
 */
export class OtelMeters implements SendTracer {
  private readonly sent: OtelApi.Counter;
  private readonly duration: OtelApi.Histogram;
  private readonly base: OtelApi.Attributes;
  private readonly byTopic = new Map<string, OtelApi.Attributes>();

  constructor(api: Api, options: OtelMetersOptions = {}) {
    const provider = options.meterProvider ?? api.metrics;
    const meter = provider.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    this.sent = meter.createCounter('messaging.client.sent.messages', {
      description: 'Number of messages a producer attempted to send to the broker.',
      unit: '{message}',
    });
    this.duration = meter.createHistogram('messaging.client.operation.duration', {
      description: 'Duration of a send operation, from send() to its ack or error.',
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

  start(topic: string): SendSpan {
    return new MeasuredSend(this, topic, performance.now());
  }

  relay(record: OutgoingRecord): SendSpan {
    return this.start(record.topic);
  }

  /**
   * Whether meters from the global MeterProvider record anything: the API's metrics have no
   * proxy, so a meter taken before an SDK is registered stays the no-op one.
   */
  static globalProviderRecords(api: Api): boolean {
    return api.metrics.getMeterProvider().constructor.name !== 'NoopMeterProvider';
  }

  /** A send ended after `seconds`; `errorType` when it failed. */
  record(topic: string, seconds: number, errorType?: string): void {
    let attributes = this.byTopic.get(topic);
    if (!attributes) {
      attributes = { ...this.base, 'messaging.destination.name': topic };
      this.byTopic.set(topic, attributes);
    }
    if (errorType !== undefined) attributes = { ...attributes, 'error.type': errorType };
    this.sent.add(1, attributes);
    this.duration.record(seconds, attributes);
  }
}

class MeasuredSend implements SendSpan {
  constructor(
    private readonly meters: OtelMeters,
    private readonly topic: string,
    private readonly startedAt: number,
  ) {}

  headers(): undefined {
    return undefined;
  }

  end(_report: DeliveryReport): void {
    this.meters.record(this.topic, (performance.now() - this.startedAt) / 1000);
  }

  fail(error: unknown): void {
    const broker = (error as { brokerError?: unknown } | null)?.brokerError;
    const type =
      typeof broker === 'string' ? broker : error instanceof Error ? error.name : '_OTHER';
    this.meters.record(this.topic, (performance.now() - this.startedAt) / 1000, type);
  }
}
