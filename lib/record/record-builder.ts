import type { EventKey } from '../decorators/keyed-by.decorator.js';
import type {
  RegistryAwareSerializer,
  SchemaRegistryApi,
} from '../interfaces/schema-registry.interface.js';
import type { Serializer } from '../interfaces/serializer.interface.js';
import type { RawRecord, SendOptions } from '../interfaces/send-options.interface.js';
import { EVENT_ID_HEADER } from '../kafka-producer.constants.js';
import type { EventDescriptor } from '../metadata/event-descriptor.js';
import { resolveSerializer, serializeWith } from '../serialization/serializer-registry.js';
import { uuidv7, uuidv7Bytes } from '../utils/uuidv7.js';
import type { OutgoingRecord } from './outgoing-record.js';
import { assertRecordSize, recordSize } from './record-size.js';
import { assertTopicName } from './topic-name.js';
import { assertPartition } from './partition.js';

const stringSerializer = resolveSerializer('string');

function toBuffer(value: string | Buffer): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
}

/** Bytes of a raw key or value: Buffers as they are, text as UTF-8, anything else refused. */
function rawBytes(data: unknown, topic: string, part: 'key' | 'value'): Buffer | null {
  return Buffer.isBuffer(data) ? data : serializeWith(stringSerializer, data, { topic, part });
}

/** Headers to add to a record built for a traced send (see SendSpan.headers). */
export interface TraceHeaderSource {
  /** The headers to add that `headers` does not have yet; undefined if none. */
  headers(headers: Readonly<Record<string, Buffer>>): Record<string, Buffer> | undefined;
}
/**
 * Turns an event (or a raw record) into an OutgoingRecord: topic, key, serialized key,
 * value and headers, the `x-event-id` header, and the size check. Everything that can be
 * wrong with the input fails here, before anything is sent.
 *
 * A serializer with a `prepare` step (the schema registry ones) is prepared for the topic
 * first: the build waits for it the first time only, and is synchronous after that.
 * Serializers that need a registry are bound to the producer's (`withRegistry`).
 */
export class RecordBuilder {
  private readonly defaultSerializer: Serializer;
  private readonly defaultKeySerializer: Serializer;

  constructor(
    defaultSerializer: Serializer,
    defaultKeySerializer: Serializer,
    private readonly maxRequestSize: number,
    private readonly registry?: SchemaRegistryApi,
  ) {
    this.defaultSerializer = this.bind(defaultSerializer);
    this.defaultKeySerializer = this.bind(defaultKeySerializer);
  }

  /** `trace` adds its headers (a span's trace context) to those the event has not set. */
  fromEvent(
    event: object,
    descriptor: EventDescriptor,
    options: SendOptions = {},
    trace?: TraceHeaderSource,
  ): OutgoingRecord | Promise<OutgoingRecord> {
    const topic = options.topic ?? descriptor.topic;
    assertTopicName(topic);
    if (options.partition !== undefined) assertPartition(options.partition);
    const keyValue: EventKey | null =
      options.key !== undefined ? options.key : descriptor.key ? descriptor.key(event) : null;
    const keySerializer = this.pick(
      options.keySerializer ?? descriptor.keySerializer,
      this.defaultKeySerializer,
    );
    const valueSerializer = this.pick(
      options.serializer ?? descriptor.serializer,
      this.defaultSerializer,
    );
    const data = descriptor.value(event);
    const waiting = this.prepared(topic, keySerializer, keyValue, valueSerializer, data);
    if (waiting) return waiting.then(() => this.fromEvent(event, descriptor, options, trace));

    const idBytes = uuidv7Bytes();
    const eventId = idBytes.toString('latin1');
    const headers: Record<string, Buffer> = { [EVENT_ID_HEADER]: idBytes };
    const key = Buffer.isBuffer(keyValue)
      ? keyValue
      : serializeWith(keySerializer, keyValue, { topic, part: 'key', headers });
    const value = serializeWith(valueSerializer, data, { topic, part: 'value', headers });
    for (const h of descriptor.headers) {
      const raw = (event as Record<string, unknown>)[h.property];
      const bytes = Buffer.isBuffer(raw)
        ? raw
        : serializeWith(h.resolved, raw, { topic, part: `header ${h.header}` });
      if (bytes) headers[h.header] = bytes;
    }
    if (options.headers) {
      for (const name in options.headers) headers[name] = toBuffer(options.headers[name]);
    }
    const traced = trace?.headers(headers);
    if (traced) for (const name in traced) headers[name] = traced[name];
    return this.finish(
      topic,
      options.partition,
      keyValue,
      key,
      value,
      headers,
      Date.now(),
      eventId,
    );
  }

  fromRaw(topic: string, raw: RawRecord): OutgoingRecord {
    assertTopicName(topic);
    if (raw.partition !== undefined) assertPartition(raw.partition);
    const headers: Record<string, Buffer> = {};
    for (const name in raw.headers ?? {}) headers[name] = toBuffer(raw.headers![name]);
    const given = headers[EVENT_ID_HEADER];
    const eventId = given ? given.toString('utf8') : uuidv7();
    if (!given) headers[EVENT_ID_HEADER] = Buffer.from(eventId);
    const key = rawBytes(raw.key, topic, 'key');
    const value = rawBytes(raw.value, topic, 'value');
    const timestamp = raw.timestamp ?? Date.now();
    return this.finish(
      topic,
      raw.partition,
      raw.key ?? null,
      key,
      value,
      headers,
      timestamp,
      eventId,
    );
  }

  private pick(
    ref: Parameters<typeof resolveSerializer>[0] | undefined,
    fallback: Serializer,
  ): Serializer {
    return ref === undefined ? fallback : this.bind(resolveSerializer(ref));
  }

  private bind(serializer: Serializer): Serializer {
    return 'withRegistry' in serializer
      ? (serializer as RegistryAwareSerializer).withRegistry(this.registry)
      : serializer;
  }

  /** Undefined when key and value serializers are ready, else what to wait for. */
  private prepared(
    topic: string,
    keySerializer: Serializer,
    keyValue: EventKey | null,
    valueSerializer: Serializer,
    value: unknown,
  ): Promise<unknown> | undefined {
    const key =
      keySerializer.prepare && keyValue !== null && !Buffer.isBuffer(keyValue)
        ? keySerializer.prepare({ topic, part: 'key' })
        : undefined;
    const val =
      valueSerializer.prepare && value !== null && value !== undefined
        ? valueSerializer.prepare({ topic, part: 'value' })
        : undefined;
    if (key && val) return Promise.all([key, val]);
    return key ?? val;
  }

  private finish(
    topic: string,
    partition: number | undefined,
    keyValue: EventKey | null,
    key: Buffer | null,
    value: Buffer | null,
    headers: Record<string, Buffer>,
    timestamp: number,
    eventId: string,
  ): OutgoingRecord {
    const size = recordSize(key, value, headers);
    assertRecordSize(size, this.maxRequestSize);
    return { topic, partition, keyValue, key, value, headers, timestamp, eventId, size };
  }
}
