import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';

/** The span of one `send()` (or of the relay's send of a stored record). */
export interface SendSpan {
  /**
   * The trace headers to add to a record that has `headers` (`traceparent`, `tracestate`):
   * only those it does not have already (a header the user set wins); undefined if none.
   */
  headers(headers: Readonly<Record<string, Buffer>>): Record<string, Buffer> | undefined;
  /** The send was acknowledged, or deferred to the outbox, or staged. */
  end(report: DeliveryReport): void;
  /** The send failed. */
  fail(error: unknown): void;
}

/** Starts the spans of the send path; the engine calls it, see lib/observability/otel-tracer.ts. */
export interface SendTracer {
  /**
   * A `send()` to `topic` starts now, in the caller's context (its parent); undefined when
   * there is nothing to record or propagate (no SDK, no parent), so the send costs nothing.
   */
  start(topic: string): SendSpan | undefined;
  /** The relay sends a stored record: a new span, linked to the context in its headers. */
  relay(record: OutgoingRecord): SendSpan | undefined;
}

/** `record` with the trace headers of `span` it does not have yet (the same record if none). */
export function withTraceHeaders(record: OutgoingRecord, span: SendSpan): OutgoingRecord {
  const added = span.headers(record.headers);
  if (!added) return record;
  let size = record.size;
  for (const name in added) size += Buffer.byteLength(name) + added[name].length;
  return { ...record, headers: { ...record.headers, ...added }, size };
}

/** Ends `span` when `promise` settles; resolves and rejects as `promise` does. */
export function traced(promise: Promise<DeliveryReport>, span: SendSpan): Promise<DeliveryReport> {
  return promise.then(
    (report) => {
      span.end(report);
      return report;
    },
    (error: unknown) => {
      span.fail(error);
      throw error;
    },
  );
}

/** Several tracers as one (spans and meters): each send gets a span from each. */
export function allOf(tracers: readonly SendTracer[]): SendTracer | undefined {
  if (tracers.length <= 1) return tracers[0];
  const each = (all: Array<SendSpan | undefined>): SendSpan | undefined => {
    const spans = all.filter((span): span is SendSpan => span !== undefined);
    if (spans.length <= 1) return spans[0];
    return {
      headers(headers) {
        let added: Record<string, Buffer> | undefined;
        for (const span of spans) {
          const more = span.headers(added ? { ...headers, ...added } : headers);
          if (more) added = { ...added, ...more };
        }
        return added;
      },
      end: (report) => spans.forEach((span) => span.end(report)),
      fail: (error) => spans.forEach((span) => span.fail(error)),
    };
  };
  return {
    start: (topic) => each(tracers.map((t) => t.start(topic))),
    relay: (record) => each(tracers.map((t) => t.relay(record))),
  };
}
