import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { KafkaRequestSerializer } from '@nestjs/microservices/serializers/kafka-request.serializer.js';
import { InvalidMessageException } from '@nestjs/microservices/errors/invalid-message.exception.js';
import { Observable, throwError } from 'rxjs';
import { NotSupportedError } from './errors/not-supported.error.js';
import type { DeliveryReport } from './interfaces/delivery-report.interface.js';
import type { RawRecord } from './interfaces/send-options.interface.js';
import type { ProducerService } from './producer.service.js';

/** What `KafkaRequestSerializer` makes of one emitted value: a kafkajs message. */
interface SerializedMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer | (string | Buffer)[] | undefined>;
  partition?: number;
  timestamp?: string | number;
}

const REQUEST_REPLY =
  'KafkaProducerClientProxy only produces: request-reply (send(), subscribeToResponseOf()) ' +
  'needs a consumer; keep a ClientKafka for it, or emit() an event and consume its reply';

/**
 * A `ClientProxy` over one of the module's producers, for apps that inject a `ClientKafka`
 * by token and only `emit()`: register it with `forRoot({ ..., clientProxy: 'TOKEN' })`.
 *
 * - `emit(pattern, data)` writes what `ClientKafka.emit` writes for the same call (Nest's
 *   `KafkaRequestSerializer`: an object with `key` or `value` is a message whose `key`,
 *   `value`, `headers` and `partition` are used; anything else is the value; objects and
 *   arrays become JSON, other non-strings their `toString()`), to the topic named by the
 *   pattern, through the producer (its batching, reliability and partitioner; each record
 *   also gets an `x-event-id` header). As in Nest, the record is sent at once, whether or
 *   not the observable is subscribed; the observable emits the `DeliveryReport[]` and
 *   completes, or errors with the module's typed error.
 * - `emitBatch(pattern, { messages })` sends the messages in order, in one call.
 * - `send()` (request-reply) throws `NotSupportedError`.
 * - `unwrap()` returns the `ProducerService`.
 * - `connect()` and `close()` do nothing: the module starts and stops the producer.
 */
export class KafkaProducerClientProxy extends ClientProxy {
  private readonly requestSerializer = new KafkaRequestSerializer();

  constructor(private readonly producer: ProducerService) {
    super();
  }

  /** Resolves at once: the producer connects when the module starts. */
  connect(): Promise<void> {
    return Promise.resolve();
  }

  /** Does nothing: the producer is closed (and flushed) at application shutdown. */
  close(): void {}

  /** The `ProducerService` this proxy sends through. */
  unwrap<T = ProducerService>(): T {
    return this.producer as T;
  }

  /** Not supported (throws {@link NotSupportedError}): this proxy only produces. */
  override send<TResult = never, TInput = unknown>(
    _pattern: unknown,
    _data: TInput,
  ): Observable<TResult> {
    throw new NotSupportedError('send', REQUEST_REPLY);
  }

  /** Not supported (throws {@link NotSupportedError}): replies need a consumer. */
  subscribeToResponseOf(_pattern: unknown): void {
    throw new NotSupportedError('subscribeToResponseOf', REQUEST_REPLY);
  }

  /**
   * Sends `data.messages` to the pattern's topic in one call, in order; see the class comment.
   * A missing pattern or data errors with Nest's `InvalidMessageException`, as ClientKafka's.
   */
  emitBatch<TInput = unknown>(
    pattern: unknown,
    data: { messages: readonly TInput[] },
  ): Observable<DeliveryReport[]> {
    if (pattern === undefined || pattern === null || data === undefined || data === null) {
      return throwError(() => new InvalidMessageException());
    }
    const topic = this.normalizePattern(pattern as string);
    return this.hot(() => this.dispatch(topic, data.messages));
  }

  /** @internal ClientProxy's emit path: one message. */
  protected dispatchEvent<T = DeliveryReport[]>(packet: ReadPacket): Promise<T> {
    return this.dispatch(this.normalizePattern(packet.pattern), [packet.data]) as Promise<T>;
  }

  /** @internal Request-reply transport hook: never reached (send() throws first). */
  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: new NotSupportedError('send', REQUEST_REPLY), isDisposed: true });
    return () => undefined;
  }

  private async dispatch(topic: string, values: readonly unknown[]): Promise<DeliveryReport[]> {
    if (values.length === 0) return [];
    const records = values.map((value) => this.toRecord(value));
    return this.producer.sendRaw(topic, records);
  }

  private toRecord(value: unknown): RawRecord {
    // Nest's serializer encodes a message object in place: it gets a copy, the caller's stays.
    const message =
      typeof value === 'object' && value !== null && ('key' in value || 'value' in value);
    const v = value as SerializedMessage;
    const m = this.requestSerializer.serialize(
      message
        ? {
            key: v.key,
            value: v.value,
            headers: v.headers,
            partition: v.partition,
            timestamp: v.timestamp,
          }
        : value,
    ) as SerializedMessage;
    const record: RawRecord = { key: m.key ?? null, value: m.value };
    if (m.headers) record.headers = m.headers as RawRecord['headers'];
    if (m.partition !== undefined && m.partition !== null) record.partition = m.partition;
    if (m.timestamp !== undefined && m.timestamp !== null) record.timestamp = Number(m.timestamp);
    return record;
  }

  /** Starts `work` now and replays its outcome to every subscriber, as ClientProxy.emit. */
  private hot<T>(work: () => Promise<T>): Observable<T> {
    const outcome = work();
    outcome.catch(() => undefined); // an error nobody subscribed for is not unhandled
    return new Observable<T>((observer) => {
      outcome.then(
        (value) => {
          observer.next(value);
          observer.complete();
        },
        (error: unknown) => observer.error(error),
      );
    });
  }
}
