import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import type { SendSpan, SendTracer } from './send-tracer.js';

type Api = typeof OtelApi;

/** The instrumentation scope of the spans and meters. */
export const INSTRUMENTATION_NAME = 'nestjs-kafka-producer';
export const INSTRUMENTATION_VERSION = '0.1.0';

/**
 * Which messaging semantic conventions the spans follow (docs/observability.md):
 * `'v1.27'` (the names from semconv 1.27 to 1.44: `messaging.system`,
 * `messaging.kafka.offset`, `messaging.kafka.message.key`), `'v1.45'` (1.45's renames:
 * `messaging.system.name`, `kafka.offset`, `kafka.message.key`), or `'both'`.
 */
export type SemconvVersion = 'v1.27' | 'v1.45' | 'both';

/** The default as OpenTelemetry's migration rule says: `OTEL_SEMCONV_STABILITY_OPT_IN`. */
export function semconvFromEnv(env: string | undefined): SemconvVersion {
  const values = (env ?? '').split(',').map((v) => v.trim());
  if (values.includes('messaging/dup')) return 'both';
  if (values.includes('messaging')) return 'v1.45';
  return 'v1.27';
}

const nodeRequire = createRequire(import.meta.url);

/** `@opentelemetry/api` if it is installed (an optional peer), else undefined. */
export function loadOtelApi(load: (id: string) => unknown = nodeRequire): Api | undefined {
  try {
    return load('@opentelemetry/api') as Api;
  } catch {
    return undefined;
  }
}

/** The attribute names of one convention version. */
interface Names {
  readonly system: readonly string[];
  readonly offset: readonly string[];
  readonly key: readonly string[];
}

function namesFor(version: SemconvVersion): Names {
  const old = {
    system: 'messaging.system',
    offset: 'messaging.kafka.offset',
    key: 'messaging.kafka.message.key',
  };
  const next = {
    system: 'messaging.system.name',
    offset: 'kafka.offset',
    key: 'kafka.message.key',
  };
  const pick = (k: keyof typeof old) =>
    version === 'both' ? [old[k], next[k]] : version === 'v1.45' ? [next[k]] : [old[k]];
  return { system: pick('system'), offset: pick('offset'), key: pick('key') };
}

/** Set on the span of a send the outbox took instead of Kafka (fallback mode). */
export const DEFERRED_ATTRIBUTE = 'nestjs_kafka_producer.outbox.deferred';
/** Set on the span of a send staged by an `@Outboxed()` handler. */
export const STAGED_ATTRIBUTE = 'nestjs_kafka_producer.outbox.staged';

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;

/** Tracing options as the module takes them. */
export interface OtelTracerOptions {
  /** A TracerProvider to use instead of the global one. */
  readonly tracerProvider?: OtelApi.TracerProvider;
  readonly semconv?: SemconvVersion;
  readonly clientId?: string;
}

/**
 * The send path's spans over `@opentelemetry/api`: a PRODUCER span `send {topic}` per send,
 * started in the caller's context and ended at the ack or the error, with the messaging
 * semantic conventions; W3C trace context in the record's headers (through the global
 * propagator when one is set, else written as W3C's `traceparent`/`tracestate`).
 */
export class OtelTracer implements SendTracer {
  private readonly tracer: OtelApi.Tracer;
  private readonly names: Names;
  private readonly base: OtelApi.Attributes;
  /** The start options of a send span per topic, made once (a send allocates none). */
  private readonly starts = new Map<string, OtelApi.SpanOptions>();
  /** The API's no-op provider: what a proxy provider delegates to until an SDK registers. */
  private readonly noop: OtelApi.TracerProvider;
  /** The proxy provider the tracer came from, while it has no SDK behind it. */
  private proxy?: OtelApi.ProxyTracerProvider;

  constructor(
    private readonly api: Api,
    options: OtelTracerOptions = {},
  ) {
    const provider = options.tracerProvider ?? api.trace.getTracerProvider();
    this.tracer = provider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    this.noop = new api.ProxyTracerProvider().getDelegate();
    if (provider instanceof api.ProxyTracerProvider) this.proxy = provider;
    this.names = namesFor(
      options.semconv ?? semconvFromEnv(process.env.OTEL_SEMCONV_STABILITY_OPT_IN),
    );
    const base: OtelApi.Attributes = {
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
    };
    for (const name of this.names.system) base[name] = 'kafka';
    if (options.clientId) base['messaging.client.id'] = options.clientId;
    this.base = base;
  }

  /**
   * No SDK registered (the provider is the API's proxy, still delegating to its no-op) and
   * no span in the caller's context: a span would record nothing and pass nothing on, so
   * none is started. Asked at every send, since an SDK may register after the module starts.
   */
  private idle(parent: OtelApi.Context): boolean {
    const proxy = this.proxy;
    if (!proxy) return false;
    if (proxy.getDelegate() !== this.noop) {
      this.proxy = undefined; // an SDK registered: every send is traced from now on
      return false;
    }
    return this.api.trace.getSpan(parent) === undefined;
  }

  start(topic: string): SendSpan | undefined {
    const parent = this.api.context.active();
    if (this.idle(parent)) return undefined;
    let start = this.starts.get(topic);
    if (!start) {
      start = {
        kind: this.api.SpanKind.PRODUCER,
        attributes: { ...this.base, 'messaging.destination.name': topic },
      };
      // One entry per topic; a producer of many topics keeps at most 1,000 of them.
      if (this.starts.size >= 1000) this.starts.clear();
      this.starts.set(topic, start);
    }
    const span = this.tracer.startSpan(`send ${topic}`, start, parent);
    // No SDK and no parent: a span that records nothing and has no context to pass on.
    if (!span.isRecording() && !this.api.isSpanContextValid(span.spanContext())) return undefined;
    return new OtelSendSpan(this.api, span, parent, this.names);
  }

  relay(record: OutgoingRecord): SendSpan | undefined {
    const parent = this.api.context.active();
    if (this.idle(parent)) return undefined;
    const stored = this.storedContext(record.headers);
    const span = this.tracer.startSpan(
      `send ${record.topic}`,
      {
        kind: this.api.SpanKind.PRODUCER,
        attributes: { ...this.base, 'messaging.destination.name': record.topic },
        links: stored ? [{ context: stored }] : [],
      },
      parent,
    );
    if (!span.isRecording() && !this.api.isSpanContextValid(span.spanContext())) return undefined;
    return new OtelSendSpan(this.api, span, parent, this.names);
  }

  /** The span context kept in a stored record's headers, if valid. */
  private storedContext(
    headers: Readonly<Record<string, Buffer>>,
  ): OtelApi.SpanContext | undefined {
    const api = this.api;
    if (api.propagation.fields().length > 0) {
      const extracted = api.propagation.extract(api.ROOT_CONTEXT, headers, {
        keys: (carrier) => Object.keys(carrier),
        get: (carrier, key) => carrier[key]?.toString('latin1'),
      });
      const context = api.trace.getSpanContext(extracted);
      if (context && api.isSpanContextValid(context)) return context;
      return undefined;
    }
    const match = TRACEPARENT.exec(headers.traceparent?.toString('latin1') ?? '');
    if (!match || match[1] === 'ff') return undefined;
    const state = headers.tracestate?.toString('latin1');
    const context: OtelApi.SpanContext = {
      traceId: match[2],
      spanId: match[3],
      traceFlags: parseInt(match[4], 16) & 1,
      isRemote: true,
      ...(state ? { traceState: api.createTraceState(state) } : {}),
    };
    return api.isSpanContextValid(context) ? context : undefined;
  }
}

class OtelSendSpan implements SendSpan {
  /** @param parent the caller's context: the span's own is made only for a propagator */
  constructor(
    private readonly api: Api,
    private readonly span: OtelApi.Span,
    private readonly parent: OtelApi.Context,
    private readonly names: Names,
  ) {}

  headers(headers: Readonly<Record<string, Buffer>>): Record<string, Buffer> | undefined {
    const api = this.api;
    if (api.propagation.fields().length > 0) {
      const carrier: Record<string, string> = {};
      api.propagation.inject(api.trace.setSpan(this.parent, this.span), carrier);
      let added: Record<string, Buffer> | undefined;
      for (const name in carrier) {
        if (name in headers) continue;
        (added ??= {})[name] = Buffer.from(carrier[name], 'latin1');
      }
      return added;
    }
    // No propagator registered: W3C trace context, written here.
    const sc = this.span.spanContext();
    if (!api.isSpanContextValid(sc)) return undefined;
    let added: Record<string, Buffer> | undefined;
    if (!('traceparent' in headers)) {
      const flags = sc.traceFlags & 0xff;
      const hex = flags < 16 ? `0${flags.toString(16)}` : flags.toString(16);
      added = { traceparent: Buffer.from(`00-${sc.traceId}-${sc.spanId}-${hex}`, 'latin1') };
    }
    const state = sc.traceState?.serialize();
    if (state && !('tracestate' in headers))
      (added ??= {}).tracestate = Buffer.from(state, 'latin1');
    return added;
  }

  end(report: DeliveryReport): void {
    const span = this.span;
    if (span.isRecording()) {
      const attributes: OtelApi.Attributes = {};
      if (report.partition >= 0) {
        attributes['messaging.destination.partition.id'] = String(report.partition);
      }
      if (report.offset !== '-1') {
        for (const name of this.names.offset) attributes[name] = Number(report.offset);
      }
      const key = report.key;
      if (typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint') {
        for (const name of this.names.key) attributes[name] = String(key);
      }
      if (report.deferred) attributes[DEFERRED_ATTRIBUTE] = true;
      if (report.staged) attributes[STAGED_ATTRIBUTE] = true;
      span.setAttributes(attributes);
    }
    span.end();
  }

  fail(error: unknown): void {
    const span = this.span;
    if (span.isRecording()) {
      const e = error instanceof Error ? error : new Error(String(error));
      const broker = (error as { brokerError?: unknown }).brokerError;
      span.setAttribute('error.type', typeof broker === 'string' ? broker : e.name);
      span.recordException(e);
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: e.message });
    }
    span.end();
  }
}
