import type { Logger } from '@nestjs/common';
import { Admission } from '../accumulator/admission.js';
import type { MemoryWaiter } from '../accumulator/buffer-memory.js';
import { OrderingGate } from '../accumulator/ordering-gate.js';
import { RecordAccumulator } from '../accumulator/record-accumulator.js';
import { ensureCodec, isCodecReady } from '../compression/compression-registry.js';
import { ProducerNotConnectedError } from '../errors/producer-not-connected.error.js';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type {
  RawRecord,
  RawSendOptions,
  SendOptions,
} from '../interfaces/send-options.interface.js';
import { Messages } from '../kafka-producer.messages.js';
import type { ResolvedProducerOptions } from '../kafka-producer.options.js';
import type { EventDescriptor } from '../metadata/event-descriptor.js';
import { resolveReliability } from '../metadata/reliability-profile.js';
import { EventPipeline, type Maybe, type PreparedRecord } from '../pipeline/event-pipeline.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { RecordSender } from '../sender/record-sender.js';
import type { Transport } from '../transport/transport.interface.js';
import { withTimeout } from '../utils/with-timeout.js';
import type { BufferState } from '../observability/metrics-recorder.js';
import { Observers, type SendObserver } from '../observability/send-observer.js';
import {
  traced,
  withTraceHeaders,
  type SendSpan,
  type SendTracer,
} from '../observability/send-tracer.js';
import type {
  DeliveryRoute,
  EngineAccess,
  EngineHooks,
  Staging,
  StagingArea,
} from './engine-hooks.js';
import { SendContext } from './send-context.js';

/** `send()` without options (a shared object: none is allocated per call). */
const NO_OPTIONS: SendOptions = Object.freeze({});

const toError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));

/** The report of a record not acknowledged (yet): staged or deferred. */
export function pendingReport(record: OutgoingRecord): DeliveryReport {
  return {
    topic: record.topic,
    partition: record.partition ?? -1,
    offset: '-1',
    key: record.keyValue,
    timestamp: String(record.timestamp),
    eventId: record.eventId,
  };
}

/** `prepared` with its span's trace headers (the same object when it has them already). */
function withSpan(prepared: PreparedRecord, span: SendSpan): PreparedRecord {
  const record = withTraceHeaders(prepared.record, span);
  return record === prepared.record ? prepared : { ...prepared, record };
}

/**
 * A `send()` waiting for bufferMemory: its context, one promise, and the engine to go on
 * with once Admission grants its bytes (thousands may wait at once, so nothing more).
 */
class WaitingSend extends SendContext implements MemoryWaiter {
  readonly promise: Promise<DeliveryReport>;
  deadline = 0;
  private resolve!: (report: Promise<DeliveryReport>) => void;
  private reject!: (error: Error) => void;

  constructor(
    private readonly engine: ProducerEngine,
    event: object,
    descriptor: EventDescriptor,
    options: SendOptions,
    topic: string,
    gate: OrderingGate,
    ticket: number,
    held: number,
  ) {
    super(event, descriptor, options, topic, gate, ticket, held);
    this.promise = new Promise<DeliveryReport>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  get bytes(): number {
    return this.held;
  }

  granted(): void {
    this.resolve(this.engine.admitted(this));
  }

  failed(error: Error): void {
    this.held = 0;
    this.engine.dropWaiting(this, error);
    this.reject(error);
  }
}

/** What the engine is made of: the parts the wiring (KafkaProducerCoreModule) chooses. */
export interface EngineParts {
  readonly options: ResolvedProducerOptions;
  readonly logger: Logger;
  readonly transport: Transport;
  /** The unit of work of the current call (`@Outboxed()`), when there is one. */
  readonly staging?: Staging;
  readonly observers?: readonly SendObserver[];
  /**
   * Those of `observers` that hear failures after the append per batch (`batchFailed`), not
   * per record: the metrics and the health tracker, which then cost nothing per send.
   */
  readonly countingObservers?: readonly SendObserver[];
  /** Spans for each send (OpenTelemetry, when installed and not turned off). */
  readonly tracer?: SendTracer;
}

/**
 * The producer's engine: one event's path, as Java's `KafkaProducer.doSend` runs it, in one
 * place. `send()`: describe → validate → key → serialize (the pipeline) → admit (buffer
 * memory) → partition (once the topic's partition count is known) → append in call order
 * (the ordering gate); the accumulator batches, the sender drains it through the transport,
 * and the ack settles the caller's promise. The outbox plugs in through {@link EngineHooks};
 * listeners, tracing and metrics through {@link SendObserver}s.
 */
export class ProducerEngine implements EngineAccess {
  private readonly options: ResolvedProducerOptions;
  private readonly logger: Logger;
  private readonly transport: Transport;
  private readonly pipeline: EventPipeline;
  private readonly admission: Admission;
  private readonly accumulator: RecordAccumulator;
  private readonly staging?: Staging;
  private readonly observers: Observers;
  private readonly tracer?: SendTracer;
  private hooks: EngineHooks = {};
  private route?: DeliveryRoute;
  /** The relay's sends: acks all, idempotent, whatever the module's default. */
  private readonly storedProfile: ReliabilityProfile;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Per topic: keeps appends in call order (see OrderingGate). */
  private readonly gates = new Map<string, OrderingGate>();
  private closing = false;

  constructor(parts: EngineParts) {
    const o = (this.options = parts.options);
    this.logger = parts.logger;
    this.transport = parts.transport;
    this.staging = parts.staging;
    this.observers = new Observers(
      parts.observers ?? [],
      this.logger,
      new Set(parts.countingObservers ?? []),
    );
    this.tracer = parts.tracer;
    this.pipeline = new EventPipeline(o);
    this.admission = new Admission(o.bufferMemory, o.maxBlockMs);
    const sender = new RecordSender(this.transport, o, this.logger, this.observers);
    this.accumulator = new RecordAccumulator(
      {
        lingerMs: o.lingerMs,
        batchSize: o.batchSize,
        maxInFlight: (profile) => this.transport.maxInFlight(profile),
        maxRequestSize: o.maxRequestSize,
      },
      this.admission.memory,
      sender.transmit,
      (batch, error) => {
        if (this.observers.any) this.observers.batchFailed(batch, error);
      },
    );
    this.storedProfile = resolveReliability('all', o.deliveryTimeoutMs);
  }

  /** Plugs in a plug-in's hooks (the outbox); before {@link start}. */
  use(hooks: EngineHooks): void {
    this.hooks = hooks;
    this.route = hooks.route;
  }

  /** Loads the default codec, opens the plug-ins, connects unless lazy; throws after retries. */
  async start(): Promise<void> {
    await ensureCodec(this.options.compression);
    await this.hooks.init?.();
    if (this.options.connect === 'eager')
      await this.transport.connect(this.pipeline.defaultProfile);
    this.hooks.started?.();
  }

  /**
   * Stops accepting, sends what the accumulator holds and waits (up to `shutdownTimeoutMs`)
   * for every accepted record; fails what is still unsent with ProducerNotConnectedError
   * (the fallback mode stores it); disconnects, logging (not throwing) close errors.
   */
  async close(): Promise<void> {
    this.closing = true;
    const { shutdownTimeoutMs } = this.options;
    const settle = (what: Promise<unknown>) =>
      withTimeout(what, shutdownTimeoutMs, () => new Error('timeout')).catch(() =>
        this.logger.warn(`${this.unsettled()} send(s) unfinished after ${shutdownTimeoutMs} ms`),
      );
    await this.hooks.stopping?.();
    if (this.unsettled() > 0) {
      this.logger.log(`shutting down: flushing ${this.unsettled()} send(s)`);
      await settle(this.flush());
    }
    this.accumulator.abort(
      new ProducerNotConnectedError(Messages.abandoned, this.options.brokers, { retriable: true }),
    );
    if (this.unsettled() > 0) {
      await settle(
        Promise.all([Promise.allSettled([...this.inFlight]), this.accumulator.drained()]),
      );
    }
    await this.transport.close().catch((error: unknown) => this.logger.error(String(error)));
    await this.hooks.closed?.().catch((error: unknown) => this.logger.error(String(error)));
  }

  /** One event: see the class comment. Not async, so that a waiting send holds little. */
  send(event: object, options: SendOptions = NO_OPTIONS): Promise<DeliveryReport> {
    let descriptor: EventDescriptor;
    try {
      this.assertOpen();
      descriptor = this.pipeline.describe(event);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    const topic = options.topic ?? descriptor.topic;
    const span = this.tracer?.start(topic);
    if (!span) return this.sendOne(event, descriptor, options, topic, undefined);
    return traced(this.sendOne(event, descriptor, options, topic, span), span);
  }

  /** {@link send} once the event is described, with its span when tracing is on. */
  private sendOne(
    event: object,
    descriptor: EventDescriptor,
    options: SendOptions,
    topic: string,
    span: SendSpan | undefined,
  ): Promise<DeliveryReport> {
    const gate = this.gateFor(topic);
    const area = this.staging?.current();
    if (area) {
      const staged = new SendContext(event, descriptor, options, topic, gate, -1, 0);
      staged.span = span;
      return this.track(this.stage(area, staged));
    }
    const ticket = gate.take();
    if (this.route) {
      // Fallback mode: a record that finds no memory goes to the outbox, so it is built first.
      const ctx = new SendContext(event, descriptor, options, topic, gate, ticket, 0);
      ctx.span = span;
      return this.track(this.submit(ctx));
    }
    // Memory first, at the size of the class's last record; the event is built once it fits.
    const estimate = this.admission.estimate(descriptor);
    if (this.admission.tryReserve(estimate)) {
      const ctx = new SendContext(event, descriptor, options, topic, gate, ticket, estimate);
      ctx.span = span;
      const appends = this.accumulator.appends;
      const sent = this.submit(ctx);
      // Appended already (the usual case): the accumulator keeps it until it settles, and
      // flush() waits for it there; a send still on its way is tracked here.
      return this.accumulator.appends !== appends ? sent : this.track(sent);
    }
    const waiting = new WaitingSend(
      this,
      event,
      descriptor,
      options,
      topic,
      gate,
      ticket,
      estimate,
    );
    waiting.span = span;
    this.admission.wait(waiting);
    return waiting.promise;
  }

  /** Several events in the order given; if any is bad, none is sent. */
  sendMany(events: readonly object[], options: SendOptions = {}): Promise<DeliveryReport[]> {
    return this.track(this.sendAll(events, options));
  }

  /** Records as they are (strings or Buffers), no decorators. */
  sendRaw(
    topic: string,
    records: readonly RawRecord[],
    options: RawSendOptions = {},
  ): Promise<DeliveryReport[]> {
    return this.track(this.sendRecords(topic, records, options));
  }

  /** What bufferMemory holds now (for the metrics and the health indicator). */
  buffer(): BufferState {
    const memory = this.admission.memory;
    return {
      total: memory.total,
      available: memory.free,
      waiting: memory.waitingCount,
      waitTimeMs: memory.waitTimeMs(),
    };
  }

  /** Whether a broker connection is open, from the transport's own state (no request). */
  connected(): boolean {
    return this.transport.connected?.() ?? true;
  }

  /** Fetches metadata over the transport's connections within `timeoutMs`: whether it answered. */
  probe(timeoutMs: number): Promise<boolean> {
    return this.transport.probe?.(timeoutMs) ?? Promise.resolve(this.connected());
  }

  /** Shut down, or shutting down. */
  get closed(): boolean {
    return this.closing;
  }

  /**
   * The reliability profile `event` is sent with, given `options` (its `@Reliability`, else
   * the producer's default); throws InvalidEventError for anything but a decorated event.
   */
  profileOf(event: object, options: SendOptions = NO_OPTIONS): ReliabilityProfile {
    return this.pipeline.profileFor(
      options.reliability ?? this.pipeline.describe(event).reliability,
    );
  }

  /** Resolves once every record accepted so far is acked or has failed. */
  async flush(): Promise<void> {
    const waiting = this.admission.waiting().filter((w) => w instanceof WaitingSend);
    if (this.unsettled() === 0 && waiting.length === 0) return;
    const sends = [...this.inFlight, ...waiting.map((w) => w.promise)];
    await this.accumulator.flush(
      Promise.all([Promise.allSettled(sends), this.accumulator.drained()]),
    );
  }

  /** A WaitingSend got its memory: on with its path. */
  admitted(send: WaitingSend): Promise<DeliveryReport> {
    return this.track(this.submit(send));
  }

  /** A WaitingSend got no memory in time: gives up its turn and tells the observers. */
  dropWaiting(send: WaitingSend, error: Error): void {
    send.gate.skip(send.ticket);
    this.observers.failed(error, { topic: send.topic, event: send.event });
  }

  /** EngineAccess: the relay's send of a stored record (its own span, linked to the first). */
  publish(record: OutgoingRecord): Promise<DeliveryReport> {
    const span = this.tracer?.relay(record);
    if (!span) return this.publishStored(record);
    return traced(this.publishStored(record), span);
  }

  private async publishStored(record: OutgoingRecord): Promise<DeliveryReport> {
    const count = this.transport.partitions(record.topic);
    const partition = this.pipeline.partitionFor(
      record,
      typeof count === 'number' ? count : await count,
    );
    return this.accumulator.append(record, partition, this.storedProfile, this.options.compression);
  }

  /**
   * EngineAccess: events checked and serialized for the outbox, not sent. With tracing, each
   * gets a span that ends once it is built, as a deferred send's does, and its trace headers
   * (the relay's send links to them).
   */
  async prepareAll(events: readonly object[]): Promise<OutgoingRecord[]> {
    const prepared = await Promise.all(
      events.map(async (event) => {
        this.assertOpen();
        const descriptor = this.pipeline.describe(event);
        const span = this.tracer?.start(descriptor.topic);
        let record: OutgoingRecord;
        try {
          record = (await this.pipeline.prepare(event, descriptor, {}, span)).record;
        } catch (error) {
          span?.fail(error);
          throw error;
        }
        span?.end({ ...pendingReport(record), deferred: true });
        return record;
      }),
    );
    return prepared;
  }

  /** EngineAccess: see RecordAccumulator.failQueued. */
  failQueued(topic: string, partition: number, error: Error): void {
    this.accumulator.failQueued(topic, partition, error);
  }

  /** Builds the record (unless staged already), partitions it, appends it in its turn. */
  private submit(ctx: SendContext): Promise<DeliveryReport> {
    let prepared: Maybe<PreparedRecord>;
    try {
      prepared =
        ctx.prepared ?? this.pipeline.prepare(ctx.event, ctx.descriptor, ctx.options, ctx.span);
    } catch (error) {
      return this.refuse(ctx, error);
    }
    return this.place(ctx, prepared);
  }

  /** The record is built (or being built): admit its real size, then find its partition. */
  private place(ctx: SendContext, built: Maybe<PreparedRecord>): Promise<DeliveryReport> {
    if (built instanceof Promise) {
      return built.then(
        (ready) => this.place(ctx, ready),
        (error: unknown) => this.refuse(ctx, error),
      );
    }
    const prepared = built;
    ctx.prepared = prepared;
    let count: Maybe<number>;
    try {
      if (ctx.held > 0 && prepared.reserved === undefined) {
        prepared.reserved = ctx.held = this.admission.settle(
          prepared.record,
          ctx.descriptor,
          ctx.held,
        );
      }
      count = this.transport.partitions(prepared.record.topic);
    } catch (error) {
      return this.refuse(ctx, error);
    }
    if (typeof count !== 'number') {
      return count.then(
        (known) => this.append(ctx, prepared, known),
        (error: unknown) => this.refuse(ctx, error),
      );
    }
    return this.append(ctx, prepared, count);
  }

  private append(
    ctx: SendContext,
    prepared: PreparedRecord,
    numPartitions: number,
  ): Promise<DeliveryReport> {
    let partition: number;
    try {
      partition = this.pipeline.partitionFor(prepared.record, numPartitions);
    } catch (error) {
      return this.refuse(ctx, error);
    }
    let appended: Promise<DeliveryReport>;
    try {
      appended = ctx.gate.run(ctx.ticket, () => this.appendOrRoute(prepared, partition));
    } catch (error) {
      appended = Promise.reject(toError(error));
    }
    return this.observe(appended, prepared.record.topic, ctx.event);
  }

  /**
   * A record that failed before its append: with the fallback route, a retriable failure of
   * a built record is stored in its turn; anything else gives up its turn and memory, tells
   * the observers, and rejects.
   */
  private refuse(ctx: SendContext, error: unknown): Promise<DeliveryReport> {
    const { prepared } = ctx;
    const route = this.route;
    if (prepared && route?.takes(error)) {
      const failed = toError(error);
      return this.observe(
        ctx.gate.run(ctx.ticket, () =>
          route.route(prepared.record, undefined, () => Promise.reject(failed)),
        ),
        prepared.record.topic,
        ctx.event,
      );
    }
    if (ctx.held > 0) this.admission.release(ctx.held);
    ctx.held = 0;
    ctx.gate.skip(ctx.ticket);
    this.observers.failed(error, { topic: prepared?.record.topic ?? ctx.topic, event: ctx.event });
    return Promise.reject(toError(error));
  }

  private appendOrRoute(prepared: PreparedRecord, partition: number): Promise<DeliveryReport> {
    const { record, profile, compression, reserved } = prepared;
    const route = this.route;
    if (!route) {
      const appended = this.accumulator.append(record, partition, profile, compression, reserved);
      if (this.observers.anyAppended) this.observers.appended(record, partition);
      return appended;
    }
    // The fallback mode reserves no memory before the append (a record that finds none is stored).
    return route.route(record, partition, () => {
      const appended = this.accumulator.append(record, partition, profile, compression);
      if (this.observers.anyAppended) this.observers.appended(record, partition);
      return appended;
    });
  }

  /** Inside a unit of work: checked and built now, published once the handler succeeded. */
  private async stage(area: StagingArea, ctx: SendContext): Promise<DeliveryReport> {
    let prepared: PreparedRecord;
    try {
      prepared = await this.pipeline.prepare(ctx.event, ctx.descriptor, ctx.options, ctx.span);
    } catch (error) {
      this.observers.failed(error, { topic: ctx.topic, event: ctx.event });
      throw error;
    }
    ctx.prepared = prepared;
    area.stage(() => {
      ctx.ticket = ctx.gate.take();
      return this.track(this.submit(ctx));
    });
    return { ...pendingReport(prepared.record), staged: true };
  }

  private async sendAll(
    events: readonly object[],
    options: SendOptions,
  ): Promise<DeliveryReport[]> {
    this.assertOpen();
    const descriptors = events.map((event) => this.pipeline.describe(event));
    const topics = descriptors.map((d) => options.topic ?? d.topic);
    return this.dispatch(
      topics,
      () =>
        Promise.all(
          events.map((event, i) =>
            Promise.resolve(this.pipeline.prepare(event, descriptors[i], options)),
          ),
        ),
      events,
    );
  }

  private async sendRecords(
    topic: string,
    records: readonly RawRecord[],
    options: RawSendOptions,
  ): Promise<DeliveryReport[]> {
    this.assertOpen();
    const compression = options.compression ?? this.options.compression;
    if (!isCodecReady(compression)) await ensureCodec(compression);
    const profile = this.pipeline.profileFor(options.reliability);
    return this.dispatch(
      records.map(() => topic),
      () =>
        Promise.resolve(
          records.map((raw) => this.pipeline.prepareRaw(topic, raw, profile, compression)),
        ),
    );
  }

  /**
   * Appends several records in the order given (turns are taken before anything async),
   * once every topic's partition count is known and every partition checked: a bad record
   * fails the whole call before any record is accepted.
   */
  private async dispatch(
    topics: readonly string[],
    prepare: () => Promise<readonly PreparedRecord[]>,
    events?: readonly object[],
  ): Promise<DeliveryReport[]> {
    const turns = topics.map((topic) => ({ gate: this.gateFor(topic), ticket: 0 }));
    for (const t of turns) t.ticket = t.gate.take();
    let prepared: readonly PreparedRecord[];
    let partitions: number[];
    try {
      prepared = await prepare();
      const counts = new Map<string, number>();
      for (const { record } of prepared) {
        if (!counts.has(record.topic)) {
          counts.set(record.topic, await this.transport.partitions(record.topic));
        }
      }
      partitions = prepared.map(({ record }) =>
        this.pipeline.partitionFor(record, counts.get(record.topic)!),
      );
    } catch (error) {
      for (const { gate, ticket } of turns) gate.skip(ticket);
      topics.forEach((topic, i) => this.observers.failed(error, { topic, event: events?.[i] }));
      throw error;
    }
    return Promise.all(
      prepared.map((p, i) => {
        // With tracing, each record of the call gets its span (under the caller's context)
        // and its trace headers, as a send() does.
        const span = this.tracer?.start(p.record.topic);
        const ready = span ? withSpan(p, span) : p;
        const sent = this.observe(
          turns[i].gate.run(turns[i].ticket, () => this.appendOrRoute(ready, partitions[i])),
          p.record.topic,
          events?.[i],
        );
        return span ? traced(sent, span) : sent;
      }),
    );
  }

  /** Tells the observers of a record's outcome once it settles. */
  private observe(
    promise: Promise<DeliveryReport>,
    topic: string,
    event: object | undefined,
  ): Promise<DeliveryReport> {
    if (this.observers.anyOutcome) {
      promise.then(
        (report) => this.observers.acked(report),
        (error: unknown) => this.observers.failedAfterAppend(error, { topic, event }),
      );
    }
    return promise;
  }

  private gateFor(topic: string): OrderingGate {
    let gate = this.gates.get(topic);
    if (!gate) this.gates.set(topic, (gate = new OrderingGate()));
    return gate;
  }

  /** Sends not settled yet: on their way to the accumulator, or in it. */
  private unsettled(): number {
    return this.inFlight.size + this.accumulator.unfinishedRecords;
  }

  private assertOpen(): void {
    if (this.closing) {
      throw new ProducerNotConnectedError(Messages.closed, this.options.brokers, {
        retriable: false,
      });
    }
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const forget = () => this.inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}
