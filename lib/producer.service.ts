import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Kafka } from 'kafkajs';
import { InvalidEventError } from './errors/invalid-event.error.js';
import { ProducerNotConnectedError } from './errors/producer-not-connected.error.js';
import type { CompressionCodec } from './interfaces/compression.interface.js';
import type { DeliveryReport } from './interfaces/delivery-report.interface.js';
import type { KafkaProducerModuleOptions } from './interfaces/kafka-producer-options.interface.js';
import type { ReliabilityProfile, ReliabilitySpec } from './interfaces/reliability.interface.js';
import type {
  RawRecord,
  RawSendOptions,
  SendOptions,
} from './interfaces/send-options.interface.js';
import { DEFAULT_PRODUCER_NAME, LOGGER_CONTEXT } from './kafka-producer.constants.js';
import { Messages } from './kafka-producer.messages.js';
import { resolveOptions, type ResolvedProducerOptions } from './kafka-producer.options.js';
import { EventMetadataAccessor } from './metadata/event-metadata.accessor.js';
import { resolveReliability } from './metadata/reliability-profile.js';
import { DefaultPartitioner, type PartitionerFn } from './partitioning/partitioner.js';
import { TopicMetadataCache } from './partitioning/topic-metadata.js';
import { BufferMemory, type MemoryWaiter } from './accumulator/buffer-memory.js';
import { bytesFor, RECORD_OVERHEAD_BYTES } from './accumulator/record-accumulator.js';
import { RecordAccumulator } from './accumulator/record-accumulator.js';
import { RecordTooLargeError } from './errors/record-too-large.error.js';
import { OrderingGate } from './accumulator/ordering-gate.js';
import type { EventDescriptor } from './metadata/event-descriptor.js';
import type { KafkaProducerError } from './errors/kafka-producer.error.js';
import type { FailedRecord, ProducerListener } from './interfaces/producer-listener.interface.js';
import { InvalidPartitionError } from './errors/invalid-partition.error.js';
import type { OutgoingRecord } from './record/outgoing-record.js';
import { RecordBuilder } from './record/record-builder.js';
import { nestLogCreator } from './sender/kafkajs-logger.js';
import { partitionerHook } from './sender/partitioner-hook.js';
import { ProducerPool } from './sender/producer-pool.js';
import { RecordSender } from './sender/record-sender.js';
import { ensureCodec, isCodecReady } from './compression/compression-registry.js';
import { resolveSerializer } from './serialization/serializer-registry.js';
import { withTimeout } from './utils/with-timeout.js';
import { EventValidator } from './validation/event-validator.js';
import { ConfigurationError } from './errors/configuration.error.js';
import { OutboxFallback } from './outbox/outbox-fallback.js';
import { fromOutboxRow, toOutboxRecord } from './outbox/outbox-record.mapper.js';
import { OutboxRelay, resolveRelayOptions } from './outbox/outbox-relay.js';
import type {
  OutboxRecord,
  OutboxRow,
  OutboxStats,
  OutboxStore,
} from './outbox/stores/outbox-store.interface.js';
import { unitOfWork } from './outbox/unit-of-work.js';

/** Decorator metadata is per class, so one cache serves every producer. */
const accessor = new EventMetadataAccessor();

/** A record with everything decided: what, how reliably, how compressed. */
interface PreparedRecord {
  readonly record: OutgoingRecord;
  readonly profile: ReliabilityProfile;
  readonly compression: CompressionCodec;
  /** Bytes already reserved in bufferMemory for it (see `prepareReserved`). */
  reserved?: number;
}

/** A value now, or a promise of it when a step had to wait (async validation, a codec). */
type Maybe<T> = T | Promise<T>;

/** A `send()` between its ticket and its memory. */
interface QueuedSend {
  readonly event: object;
  readonly descriptor: EventDescriptor;
  readonly options: SendOptions;
  readonly gate: OrderingGate;
  readonly ticket: number;
  readonly topic: string;
  readonly estimate: number;
}

/** The ProducerService side of a {@link WaitingSend}. */
interface SendQueue {
  wait(waiter: MemoryWaiter): void;
  /** Builds and appends a send whose memory is reserved (tracked for flush). */
  submit(send: QueuedSend): Promise<DeliveryReport>;
  /** Gives up a send's ticket and tells the listeners. */
  drop(send: QueuedSend, error: Error): void;
}

/**
 * A `send()` waiting for bufferMemory: one object and one promise, since thousands may
 * wait at once (W3 in bench/). BufferMemory holds it until it has memory.
 */
class WaitingSend implements QueuedSend, MemoryWaiter {
  readonly promise: Promise<DeliveryReport>;
  deadline = 0;
  private resolve!: (report: Promise<DeliveryReport>) => void;
  private reject!: (error: Error) => void;

  constructor(
    readonly event: object,
    readonly descriptor: EventDescriptor,
    readonly options: SendOptions,
    readonly gate: OrderingGate,
    readonly ticket: number,
    readonly topic: string,
    readonly estimate: number,
    private readonly queue: SendQueue,
  ) {
    this.promise = new Promise<DeliveryReport>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    queue.wait(this);
  }

  get bytes(): number {
    return this.estimate;
  }

  granted(): void {
    this.resolve(this.queue.submit(this));
  }

  failed(error: Error): void {
    this.queue.drop(this, error);
    this.reject(error);
  }
}

/** `send()` without options (a shared object: none is allocated per call). */
const NO_OPTIONS: SendOptions = Object.freeze({});

/** What a record of a class not seen yet is assumed to take in bufferMemory. */
const FIRST_SIZE_ESTIMATE = 1024 + RECORD_OVERHEAD_BYTES;

/** The report of a record not (yet) acknowledged: staged or deferred. */
function pendingReport(record: OutgoingRecord): DeliveryReport {
  return {
    topic: record.topic,
    partition: record.partition ?? -1,
    offset: '-1',
    key: record.keyValue,
    timestamp: String(record.timestamp),
    eventId: record.eventId,
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value}`;
}

/**
 * Sends decorated event DTOs to Kafka. Inject the default producer as `ProducerService`,
 * a named one with `@InjectProducer(name)`.
 *
 * Each call validates, derives the key, serializes, partitions (murmur2 for keyed records
 * as Java does, sticky for keyless ones) and resolves once the record has the ack its
 * reliability asks for. Bad input rejects with a typed error before anything is sent.
 */
export class ProducerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger: Logger;
  private readonly options: ResolvedProducerOptions;
  private readonly validator?: EventValidator;
  private readonly builder: RecordBuilder;
  private readonly pool: ProducerPool;
  private readonly accumulator: RecordAccumulator;
  private readonly memory: BufferMemory;
  /** Each event class's last record size, the estimate for its next one. */
  private readonly sizes = new WeakMap<EventDescriptor, number>();
  private readonly metadata: TopicMetadataCache;
  /** The configured partitioner; without one, {@link defaultPartitioner}. */
  private readonly partitioner?: PartitionerFn;
  private readonly defaultPartitioner?: DefaultPartitioner;
  /** The outbox's store, relay and fallback, when the module has an outbox. */
  private readonly outbox?: { store: OutboxStore; relay: OutboxRelay };
  private readonly fallback?: OutboxFallback;
  private readonly defaultProfile: ReliabilityProfile;
  private readonly profiles = new Map<ReliabilitySpec, ReliabilityProfile>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Per topic: keeps appends in call order (see OrderingGate). */
  private readonly gates = new Map<string, OrderingGate>();
  private closing = false;

  constructor(
    options: KafkaProducerModuleOptions,
    /** The producer's name (`'default'` for the one injected as `ProducerService`). */
    readonly name: string = DEFAULT_PRODUCER_NAME,
  ) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.logger = new Logger(
      name === DEFAULT_PRODUCER_NAME ? LOGGER_CONTEXT : `${LOGGER_CONTEXT}:${name}`,
    );
    if (o.validation) this.validator = new EventValidator(o.validation);
    this.builder = new RecordBuilder(
      resolveSerializer(o.serializer),
      resolveSerializer(o.keySerializer),
      o.maxRequestSize,
    );
    this.defaultProfile = resolveReliability(o.reliability, o.deliveryTimeoutMs);
    if (o.partitioner) this.partitioner = o.partitioner;
    else this.defaultPartitioner = new DefaultPartitioner(o.batchSize);
    const kafka = new Kafka({
      requestTimeout: o.requestTimeoutMs,
      retry: { initialRetryTime: 100, retries: 3 },
      logCreator: nestLogCreator(this.logger),
      ...o.client,
    });
    this.metadata = new TopicMetadataCache(kafka, this.logger, {
      brokers: o.brokers,
      allowAutoTopicCreation: o.allowAutoTopicCreation,
      maxBlockMs: o.maxBlockMs,
      maxAgeMs: o.metadataMaxAgeMs,
    });
    this.pool = new ProducerPool(
      kafka,
      partitionerHook(this.metadata),
      {
        brokers: o.brokers,
        attempts: o.connectRetries,
        timeoutMs: o.connectTimeoutMs,
        maxInFlightRequests: o.maxInFlightRequests,
        allowAutoTopicCreation: o.allowAutoTopicCreation,
        retryBackoffMs: o.retryBackoffMs,
        retryBackoffMaxMs: o.retryBackoffMaxMs,
        // Two kafkajs producers per idempotent profile, so two requests reach a broker side by
        // side (kafkajs sends one per broker at a time per producer). Measured at C=1024,
        // acks all, one broker, 5 s runs: 100 B 157-167k msg/s with one lane, 199-208k with
        // two, 181-202k with three; 1 KiB 61-72k, 85-95k, 77-88k (five: 89-91k).
        idempotentLanes: Math.min(2, o.maxInFlightRequests),
      },
      this.logger,
    );
    const sender = new RecordSender(this.pool, o.requestTimeoutMs, o, this.logger);
    this.memory = new BufferMemory(o.bufferMemory, o.maxBlockMs);
    this.accumulator = new RecordAccumulator(
      {
        lingerMs: o.lingerMs,
        batchSize: o.batchSize,
        maxInFlightRequests: o.maxInFlightRequests,
        maxRequestSize: o.maxRequestSize,
        failFollowers: o.outbox !== undefined && o.outbox.fallback !== false,
      },
      this.memory,
      sender.transmit,
    );
    if (o.outbox) {
      const { store } = o.outbox;
      const relayProfile = resolveReliability('all', o.deliveryTimeoutMs);
      if (o.outbox.fallback !== false) {
        this.fallback = new OutboxFallback(
          store,
          this.logger,
          () => this.outbox?.relay.wake(),
          pendingReport,
        );
      }
      const relay = new OutboxRelay(
        store,
        (row) => this.publishStored(row, relayProfile),
        resolveRelayOptions(o.outbox.relay),
        this.logger,
        (row) => this.fallback?.finished(row),
      );
      this.outbox = { store, relay };
    }
  }

  /**
   * Loads the default codec, and connects the default profile's producer unless
   * `connect: 'lazy'`; throws after its retries.
   */
  async onModuleInit(): Promise<void> {
    await ensureCodec(this.options.compression);
    if (this.outbox) {
      await this.outbox.store.init();
      await this.fallback?.init();
      if (!this.outbox.store.durable) this.logger.warn('the outbox store is not durable (memory)');
    }
    if (this.options.connect === 'eager') await this.pool.get(this.defaultProfile);
    if (this.outbox?.relay.options.enabled) this.outbox.relay.start();
  }

  /**
   * Stops accepting, sends what the accumulator holds and waits (up to `shutdownTimeoutMs`)
   * for every accepted record; fails what is still unsent with ProducerNotConnectedError;
   * disconnects, logging (not throwing) close errors.
   */
  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    const { shutdownTimeoutMs } = this.options;
    const settle = (what: Promise<unknown>) =>
      withTimeout(what, shutdownTimeoutMs, () => new Error('timeout')).catch(() =>
        this.logger.warn(`${this.unsettled()} send(s) unfinished after ${shutdownTimeoutMs} ms`),
      );
    await this.outbox?.relay.stop();
    if (this.unsettled() > 0) {
      this.logger.log(`shutting down: flushing ${this.unsettled()} send(s)`);
      await settle(this.flush());
    }
    // What is still unsent fails now; with the outbox's fallback mode it is stored instead.
    this.accumulator.abort(
      new ProducerNotConnectedError(Messages.abandoned, this.options.brokers, { retriable: true }),
    );
    if (this.unsettled() > 0) {
      await settle(
        Promise.all([Promise.allSettled([...this.inFlight]), this.accumulator.drained()]),
      );
    }
    await this.pool.disconnectAll();
    await this.metadata.close().catch((error: unknown) => this.logger.error(String(error)));
    await this.outbox?.store.close().catch((error: unknown) => this.logger.error(String(error)));
  }

  /** The outbox's backlog, oldest waiting row's age and dead rows; undefined without an outbox. */
  outboxStats(): Promise<OutboxStats> | undefined {
    return this.outbox?.relay.stats();
  }

  /**
   * Checks and serializes events for the outbox without sending them (OutboxService):
   * each gets its event id now, which the relay keeps.
   * @internal
   */
  async recordsForOutbox(
    events: readonly object[],
  ): Promise<{ store: OutboxStore; records: OutboxRecord[]; wake: () => void }> {
    const outbox = this.outbox;
    if (!outbox) throw new ConfigurationError(Messages.noOutbox);
    const records = await Promise.all(
      events.map(async (event) => (await this.prepare(event, this.describe(event), {})).record),
    );
    return {
      store: outbox.store,
      records: records.map(toOutboxRecord),
      wake: () => outbox.relay.wake(),
    };
  }

  /** The relay's send: the stored bytes, acks all, no fallback (the row stays until acked). */
  private async publishStored(
    row: OutboxRow,
    profile: ReliabilityProfile,
  ): Promise<DeliveryReport> {
    const record = fromOutboxRow(row);
    const count = this.metadata.partitions(record.topic);
    const partition = this.partitionFor(record, typeof count === 'number' ? count : await count);
    return this.accumulator.append(record, partition, profile, this.options.compression);
  }

  /**
   * Sends one event. Resolves with its DeliveryReport once it has the ack its reliability
   * asks for; rejects with a KafkaProducerError otherwise.
   */
  send(event: object, options?: SendOptions): Promise<DeliveryReport> {
    return this.sendOne(event, options);
  }

  /**
   * Sends several events; resolves with their reports in the order given. Every event is
   * checked first: if any is bad, the call rejects and none is sent.
   */
  sendMany(events: readonly object[], options?: SendOptions): Promise<DeliveryReport[]> {
    return this.track(this.sendAll(events, options));
  }

  /**
   * The untyped escape hatch: sends records as they are (strings as UTF-8, Buffers as they
   * are) with the module's default reliability unless told otherwise. Each record gets an
   * `x-event-id` header unless it has one.
   */
  sendRaw(
    topic: string,
    records: readonly RawRecord[],
    options: RawSendOptions = {},
  ): Promise<DeliveryReport[]> {
    return this.track(this.sendRecords(topic, records, options));
  }

  /** Resolves once every record accepted so far is acked or has failed. */
  async flush(): Promise<void> {
    const waiting = this.memory.queued().filter((w) => w instanceof WaitingSend);
    if (this.unsettled() === 0 && waiting.length === 0) return;
    const sends = [...this.inFlight, ...waiting.map((w) => w.promise)];
    await this.accumulator.flush(
      Promise.all([Promise.allSettled(sends), this.accumulator.drained()]),
    );
  }

  /** Sends not settled yet: on their way to the accumulator, or in it. */
  private unsettled(): number {
    return this.inFlight.size + this.accumulator.unfinishedRecords;
  }

  /**
   * Not async on purpose: a caller waiting for bufferMemory should hold as little as
   * possible (its event and one closure), since thousands may wait (W3 in bench/).
   */
  private sendOne(event: object, options: SendOptions = NO_OPTIONS): Promise<DeliveryReport> {
    let descriptor: EventDescriptor;
    try {
      descriptor = this.describe(event);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const topic = options.topic ?? descriptor.topic;
    const gate = this.gateFor(topic);
    const work = unitOfWork.getStore();
    if (work) return this.track(this.stage(work, event, descriptor, options, gate, topic));
    const ticket = gate.take();
    if (this.fallback) {
      // A record that finds no memory goes to the outbox, so it is built first.
      const prepare = () => this.prepare(event, descriptor, options);
      return this.track(this.submit(gate, ticket, prepare, topic, event));
    }
    // Memory first, at the size of the class's last record; the event is built once it fits.
    const estimate = Math.min(this.sizes.get(descriptor) ?? FIRST_SIZE_ESTIMATE, this.memory.total);
    if (this.memory.tryReserve(estimate)) {
      const appends = this.accumulator.appends;
      const sent = this.submitReserved(event, descriptor, options, gate, ticket, topic, estimate);
      // Appended already (the usual case): the accumulator keeps it until it settles, and
      // flush() waits for it there; a send still on its way is tracked here.
      return this.accumulator.appends !== appends ? sent : this.track(sent);
    }
    const queue = this.queue;
    return new WaitingSend(event, descriptor, options, gate, ticket, topic, estimate, queue)
      .promise;
  }

  /** What a WaitingSend needs from the service (one object per service, not per send). */
  private readonly queue: SendQueue = {
    wait: (waiter) => this.memory.wait(waiter),
    submit: (send) =>
      this.track(
        this.submitReserved(
          send.event,
          send.descriptor,
          send.options,
          send.gate,
          send.ticket,
          send.topic,
          send.estimate,
        ),
      ),
    drop: (send, error) => {
      send.gate.skip(send.ticket);
      this.tellError(error, { topic: send.topic, event: send.event });
    },
  };

  /**
   * Builds and appends a send whose memory is reserved: synchronously, up to the
   * accumulator, unless validation or a metadata lookup has to wait.
   */
  private submitReserved(
    event: object,
    descriptor: EventDescriptor,
    options: SendOptions,
    gate: OrderingGate,
    ticket: number,
    topic: string,
    estimate: number,
  ): Promise<DeliveryReport> {
    let prepared: Maybe<PreparedRecord>;
    try {
      prepared = this.prepareReserved(event, descriptor, options, estimate);
    } catch (error) {
      return this.refuse(gate, ticket, undefined, error, topic, event);
    }
    return this.place(gate, ticket, prepared, topic, event);
  }

  /** Inside an @Outboxed() handler: check and build now, publish once the handler succeeded. */
  private async stage(
    work: NonNullable<ReturnType<typeof unitOfWork.getStore>>,
    event: object,
    descriptor: EventDescriptor,
    options: SendOptions,
    gate: OrderingGate,
    topic: string,
  ): Promise<DeliveryReport> {
    let prepared: PreparedRecord;
    try {
      prepared = await this.prepare(event, descriptor, options);
    } catch (error) {
      this.tellError(error, { topic, event });
      throw error;
    }
    work.stage(() =>
      this.track(this.submit(gate, gate.take(), () => Promise.resolve(prepared), topic, event)),
    );
    return { ...pendingReport(prepared.record), staged: true };
  }

  /**
   * Appends one record in its ticket's turn, once checked and partitioned. With the
   * outbox's fallback mode, a retriable failure (here or in delivery) stores it instead.
   */
  private submit(
    gate: OrderingGate,
    ticket: number,
    prepare: () => Maybe<PreparedRecord>,
    topic: string,
    event?: object,
  ): Promise<DeliveryReport> {
    let prepared: Maybe<PreparedRecord>;
    try {
      prepared = prepare();
    } catch (error) {
      return this.refuse(gate, ticket, undefined, error, topic, event);
    }
    return this.place(gate, ticket, prepared, topic, event);
  }

  /** {@link submit} once the record is (being) prepared: partitions it, then appends. */
  private place(
    gate: OrderingGate,
    ticket: number,
    prepared: Maybe<PreparedRecord>,
    topic: string,
    event?: object,
  ): Promise<DeliveryReport> {
    if (prepared instanceof Promise) {
      return prepared.then(
        (ready) => this.place(gate, ticket, ready, topic, event),
        (error: unknown) => this.refuse(gate, ticket, undefined, error, topic, event),
      );
    }
    let count: Maybe<number>;
    try {
      count = this.metadata.partitions(prepared.record.topic);
    } catch (error) {
      return this.refuse(gate, ticket, prepared, error, topic, event);
    }
    if (typeof count !== 'number') {
      return count.then(
        (known) => this.placeIn(gate, ticket, prepared, known, topic, event),
        (error: unknown) => this.refuse(gate, ticket, prepared, error, topic, event),
      );
    }
    return this.placeIn(gate, ticket, prepared, count, topic, event);
  }

  private placeIn(
    gate: OrderingGate,
    ticket: number,
    prepared: PreparedRecord,
    numPartitions: number,
    topic: string,
    event?: object,
  ): Promise<DeliveryReport> {
    let partition: number;
    try {
      partition = this.partitionFor(prepared.record, numPartitions);
    } catch (error) {
      return this.refuse(gate, ticket, prepared, error, topic, event);
    }
    let appended: Promise<DeliveryReport>;
    try {
      appended = gate.run(ticket, () => this.appendOrDefer(prepared, partition));
    } catch (error) {
      appended = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.observe(appended, { topic: prepared.record.topic, event });
  }

  /**
   * A record that failed before its append: with the outbox's fallback mode a retriable
   * failure of a built record stores it in its turn; anything else gives up its ticket
   * and memory, tells the listeners, and rejects.
   */
  private refuse(
    gate: OrderingGate,
    ticket: number,
    prepared: PreparedRecord | undefined,
    error: unknown,
    topic: string,
    event?: object,
  ): Promise<DeliveryReport> {
    const fallback = this.fallback;
    if (prepared && fallback?.takes(error)) {
      const record = prepared.record;
      const failed = error as Error;
      return this.observe(
        gate.run(ticket, () => fallback.route(record, () => Promise.reject(failed))),
        { topic: record.topic, event },
      );
    }
    if (prepared?.reserved !== undefined) this.memory.release(prepared.reserved);
    gate.skip(ticket);
    this.tellError(error, { topic: prepared?.record.topic ?? topic, event });
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  private appendOrDefer(prepared: PreparedRecord, partition: number): Promise<DeliveryReport> {
    const { record, profile, compression, reserved } = prepared;
    if (!this.fallback) {
      return this.accumulator.append(record, partition, profile, compression, reserved);
    }
    // Fallback mode reserves no memory before the append (a record that finds none is stored).
    return this.fallback.route(record, () =>
      this.accumulator.append(record, partition, profile, compression),
    );
  }

  private async sendAll(
    events: readonly object[],
    options: SendOptions = {},
  ): Promise<DeliveryReport[]> {
    const descriptors = events.map((event) => this.describe(event));
    const topics = descriptors.map((d) => options.topic ?? d.topic);
    return this.dispatch(
      topics,
      () =>
        Promise.all(
          events.map((event, i) => Promise.resolve(this.prepare(event, descriptors[i], options))),
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
    const profile = this.profileFor(options.reliability);
    return this.dispatch(
      records.map(() => topic),
      () =>
        Promise.resolve(
          records.map((raw) => ({
            record: this.builder.fromRaw(topic, raw),
            profile,
            compression,
          })),
        ),
    );
  }

  /**
   * Appends several records in the order given (tickets are taken before anything
   * async), once every topic's partition count is known and every partition checked:
   * a bad record fails the whole call before any record is accepted.
   */
  private async dispatch(
    topics: readonly string[],
    prepare: () => Promise<readonly PreparedRecord[]>,
    events?: readonly object[],
  ): Promise<DeliveryReport[]> {
    const tickets = topics.map((topic) => ({ gate: this.gateFor(topic), ticket: 0 }));
    for (const t of tickets) t.ticket = t.gate.take();
    let prepared: readonly PreparedRecord[];
    let partitions: number[];
    try {
      prepared = await prepare();
      const counts = new Map<string, number>();
      for (const { record } of prepared) {
        if (!counts.has(record.topic)) {
          counts.set(record.topic, await this.metadata.partitions(record.topic));
        }
      }
      partitions = prepared.map(({ record }) =>
        this.partitionFor(record, counts.get(record.topic)!),
      );
    } catch (error) {
      for (const { gate, ticket } of tickets) gate.skip(ticket);
      topics.forEach((topic, i) => this.tellError(error, { topic, event: events?.[i] }));
      throw error;
    }
    return Promise.all(
      prepared.map((p, i) =>
        this.observe(
          tickets[i].gate.run(tickets[i].ticket, () => this.appendOrDefer(p, partitions[i])),
          { topic: p.record.topic, event: events?.[i] },
        ),
      ),
    );
  }

  /** Tells the listeners of a record's outcome once it settles. */
  private observe(promise: Promise<DeliveryReport>, record: FailedRecord): Promise<DeliveryReport> {
    if (this.options.listeners.length > 0) {
      promise.then(
        (report) => this.tell((l) => l.onSuccess?.(report)),
        (error: unknown) => this.tellError(error, record),
      );
    }
    return promise;
  }

  private tellError(error: unknown, record: FailedRecord): void {
    this.tell((l) => l.onError?.(error as KafkaProducerError, record));
  }

  private tell(call: (listener: ProducerListener) => void): void {
    for (const listener of this.options.listeners) {
      try {
        call(listener);
      } catch (error) {
        this.logger.error(`a ProducerListener threw: ${String(error)}`);
      }
    }
  }

  private gateFor(topic: string): OrderingGate {
    let gate = this.gates.get(topic);
    if (!gate) this.gates.set(topic, (gate = new OrderingGate()));
    return gate;
  }

  /** The explicit partition (checked against the topic), or the partitioner's choice. */
  private partitionFor(record: OutgoingRecord, numPartitions: number): number {
    const { topic, key, size } = record;
    const partition =
      record.partition ??
      (this.partitioner
        ? this.partitioner({ topic, numPartitions, key, size })
        : this.defaultPartitioner!.choose(topic, numPartitions, key, size));
    if (!Number.isInteger(partition) || partition < 0 || partition >= numPartitions) {
      throw new InvalidPartitionError(
        partition,
        Messages.noSuchPartition(topic, partition, numPartitions),
      );
    }
    return partition;
  }

  /** The event's decorators; throws InvalidEventError for anything but a decorated instance. */
  private describe(event: unknown): EventDescriptor {
    this.assertOpen();
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw new InvalidEventError(Messages.invalidEvent(describe(event)));
    }
    return accessor.get(event.constructor);
  }

  /**
   * Builds the record of an event that holds `estimate` bytes of bufferMemory, and settles
   * the difference to its real size (which becomes the class's next estimate).
   */
  private prepareReserved(
    event: object,
    descriptor: EventDescriptor,
    options: SendOptions,
    estimate: number,
  ): Maybe<PreparedRecord> {
    let prepared: Maybe<PreparedRecord>;
    try {
      prepared = this.prepare(event, descriptor, options);
    } catch (error) {
      this.memory.release(estimate);
      throw error;
    }
    if (prepared instanceof Promise) {
      return prepared.then(
        (ready) => this.settleReserved(ready, descriptor, estimate),
        (error: unknown) => {
          this.memory.release(estimate);
          throw error;
        },
      );
    }
    return this.settleReserved(prepared, descriptor, estimate);
  }

  private settleReserved(
    prepared: PreparedRecord,
    descriptor: EventDescriptor,
    estimate: number,
  ): PreparedRecord {
    const reserved = bytesFor(prepared.record);
    if (reserved > this.memory.total) {
      this.memory.release(estimate);
      throw new RecordTooLargeError(reserved, this.memory.total);
    }
    if (this.sizes.get(descriptor) !== reserved) this.sizes.set(descriptor, reserved);
    this.memory.adjust(reserved - estimate);
    prepared.reserved = reserved;
    return prepared;
  }

  /** Validates and builds; synchronous unless validation or loading a codec has to wait. */
  private prepare(
    event: object,
    descriptor: EventDescriptor,
    options: SendOptions,
  ): Maybe<PreparedRecord> {
    const validated = this.validator?.validate(event, descriptor.className);
    if (validated) return validated.then(() => this.build(event, descriptor, options));
    return this.build(event, descriptor, options);
  }

  private build(
    event: object,
    descriptor: EventDescriptor,
    options: SendOptions,
  ): Maybe<PreparedRecord> {
    const record = this.builder.fromEvent(event, descriptor, options);
    const compression = options.compression ?? descriptor.compression ?? this.options.compression;
    const profile = this.profileFor(options.reliability ?? descriptor.reliability);
    const prepared: PreparedRecord = { record, profile, compression, reserved: undefined };
    if (!isCodecReady(compression)) return ensureCodec(compression).then(() => prepared);
    return prepared;
  }

  private profileFor(spec: ReliabilitySpec | undefined): ReliabilityProfile {
    if (spec === undefined) return this.defaultProfile;
    let profile = this.profiles.get(spec);
    if (!profile) {
      profile = resolveReliability(spec, this.options.deliveryTimeoutMs);
      this.profiles.set(spec, profile);
    }
    return profile;
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
