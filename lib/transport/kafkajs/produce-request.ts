import { createRequire } from 'node:module';
import type { Message } from 'kafkajs';
import { slotKey } from '../../record/slot-key.js';
import type { RecordBatch } from '../../protocol/record-batch.js';
import type { SequenceBook } from './sequence-book.js';

const require = createRequire(import.meta.url);

/** Where a stand-in message carries its partition's encoded batch. */
const ENCODED = Symbol('nestjs-kafka-producer.recordBatch');
/** Where it carries its producer's sequence numbers (idempotent producers). */
const BOOK = Symbol('nestjs-kafka-producer.sequenceBook');

/** kafkajs refuses a message without a value; the stand-ins' value is never sent. */
const STAND_IN_VALUE = Buffer.alloc(0);

interface StandIn extends Message {
  readonly [ENCODED]: RecordBatch;
  readonly [BOOK]?: SequenceBook;
}

/**
 * What the module hands kafkajs's `sendBatch` for one partition's pre-encoded batch: one
 * stand-in message, which kafkajs routes by `partition`; its Produce request, replaced by
 * {@link installProduceEncoder}, writes the batch's bytes instead. kafkajs handles each
 * message of a request several times over (and groups them per partition by copying the
 * list once per message), so one stand-in instead of one per record saves that work for
 * every record. kafkajs then numbers requests instead of records; an idempotent producer's
 * `book` turns that into record sequence numbers (see SequenceBook).
 */
export function standIns(batch: RecordBatch, partition: number, book?: SequenceBook): Message[] {
  const standIn: StandIn = { value: STAND_IN_VALUE, partition, [ENCODED]: batch, [BOOK]: book };
  return [standIn];
}

/** kafkajs's Long (a BigInt inside), a number, or (after InitProducerId) a decimal string. */
type ProducerIdValue = { value: bigint } | number | bigint | string | undefined;

interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: Array<Partial<StandIn>>;
}

interface ProduceArgs {
  acks: number;
  timeout: number;
  topicData: Array<{ topic: string; partitions: PartitionData[] }>;
  transactionalId?: string | null;
  producerId?: ProducerIdValue;
  producerEpoch?: number;
}

interface ProduceRequest {
  encode(): Promise<unknown>;
  [other: string]: unknown;
}

type ProduceBuilder = (args: ProduceArgs) => { request: ProduceRequest; response: unknown };

interface KafkaJsEncoder {
  buf: Buffer;
  offset: number;
}

function toBigInt(id: ProducerIdValue): bigint {
  if (id === undefined) return -1n;
  if (typeof id === 'object') return id.value;
  return BigInt(id);
}

function batchOf(data: PartitionData): RecordBatch | undefined {
  return data.messages[0]?.[ENCODED];
}

/** True when kafkajs builds this Produce request from the module's stand-ins. */
function isOwn(args: ProduceArgs): boolean {
  const first = args.topicData[0]?.partitions[0];
  return first !== undefined && batchOf(first) !== undefined;
}

/**
 * The Produce request body (versions 3 to 7 share it): transactional id, acks, timeout,
 * then per topic and partition the sealed record batch.
 */
export function encodeProduceRequest(args: ProduceArgs): Buffer {
  const { acks, timeout, topicData } = args;
  const transactionalId = args.transactionalId ?? null;
  const producerId = toBigInt(args.producerId);
  // Without a producer id, Java writes epoch and sequence -1 too.
  const idempotent = producerId >= 0n;
  const epoch = idempotent ? (args.producerEpoch ?? 0) : -1;
  const sealed: Buffer[] = [];
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId)) + 2 + 4 + 4;
  for (const { topic, partitions } of topicData) {
    size += 2 + Buffer.byteLength(topic) + 4;
    for (const data of partitions) {
      const batch = batchOf(data);
      if (!batch || data.messages.length !== 1) {
        // Only ever a bug: kafkajs mixed the stand-ins of two batches (or other messages).
        throw new Error(`partition ${data.partition} of ${topic} is not one encoded batch`);
      }
      let sequence = -1;
      if (idempotent) {
        const book = data.messages[0][BOOK];
        if (!book) throw new Error(`no sequence numbers for ${topic}/${data.partition}`);
        const slot = slotKey(topic, data.partition);
        const request = data.firstSequence ?? 0;
        sequence = book.firstSequence(producerId, epoch, slot, request, batch.count);
      }
      const bytes = batch.seal(producerId, epoch, sequence, transactionalId !== null);
      sealed.push(bytes);
      size += 4 + 4 + bytes.length;
    }
  }
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  if (transactionalId === null) {
    o = buf.writeInt16BE(-1, o);
  } else {
    o = buf.writeInt16BE(Buffer.byteLength(transactionalId), o);
    o += buf.write(transactionalId, o, 'utf8');
  }
  o = buf.writeInt16BE(acks, o);
  o = buf.writeInt32BE(timeout, o);
  o = buf.writeInt32BE(topicData.length, o);
  let next = 0;
  for (const { topic, partitions } of topicData) {
    o = buf.writeInt16BE(Buffer.byteLength(topic), o);
    o += buf.write(topic, o, 'utf8');
    o = buf.writeInt32BE(partitions.length, o);
    for (const data of partitions) {
      const bytes = sealed[next++];
      o = buf.writeInt32BE(data.partition, o);
      o = buf.writeInt32BE(bytes.length, o);
      o += bytes.copy(buf, o);
    }
  }
  return buf;
}

let installed = false;

/**
 * Makes kafkajs write the module's pre-encoded record batches: its Produce request
 * definition is wrapped so that a request built from {@link standIns} encodes them with
 * {@link encodeProduceRequest}; every other request (another kafkajs user in the process)
 * is kafkajs's own. Routing, retries, sequence numbers and responses stay kafkajs's.
 * kafkajs's own per-message encoding allocates two 512-byte buffers per record and sorts
 * the timestamps of every batch; this writes each batch once, into one buffer. Idempotent.
 */
export function installProduceEncoder(): void {
  if (installed) return;
  const produce = require('kafkajs/src/protocol/requests/produce/index.js') as {
    protocol: (v: { version: number }) => ProduceBuilder;
  };
  const Encoder = require('kafkajs/src/protocol/encoder.js') as new (
    size?: number,
  ) => KafkaJsEncoder;
  const original = produce.protocol;
  const wrapped = new Map<number, ProduceBuilder>();
  produce.protocol = ({ version }) => {
    let builder = wrapped.get(version);
    if (!builder) {
      const make = original({ version });
      builder = (args) => {
        const built = make(args);
        if (!isOwn(args)) return built;
        const encode = (): Promise<KafkaJsEncoder> => {
          if (version < 3) {
            const reason = `the broker only takes Produce v${version}; record batches need v3`;
            return Promise.reject(new Error(reason));
          }
          const encoder = new Encoder(0);
          encoder.buf = encodeProduceRequest(args);
          encoder.offset = encoder.buf.length;
          return Promise.resolve(encoder);
        };
        return { request: { ...built.request, encode }, response: built.response };
      };
      wrapped.set(version, builder);
    }
    return builder;
  };
  installed = true;
}
