import { createRequire } from 'node:module';
import type { Message } from 'kafkajs';

const require = createRequire(import.meta.url);

/** Where a stand-in message carries its partition's sealed record batch. */
const SEALED = Symbol('nestjs-kafka-producer.recordBatch');

/** kafkajs refuses a message without a value; the stand-ins' value is never sent. */
const STAND_IN_VALUE = Buffer.alloc(0);

interface StandIn extends Message {
  readonly [SEALED]: Buffer;
}

/**
 * What the module hands kafkajs's `Broker.produce` for one partition: one stand-in message
 * carrying the partition's record batch, sealed (producer id, epoch, first sequence, CRC)
 * by the transport; the Produce request, replaced by {@link installProduceEncoder}, writes
 * those bytes instead of encoding messages.
 */
export function standIn(sealed: Buffer, partition: number): Message {
  const message: StandIn = { value: STAND_IN_VALUE, partition, [SEALED]: sealed };
  return message;
}

interface PartitionData {
  partition: number;
  messages: Array<Partial<StandIn>>;
}

interface ProduceArgs {
  acks: number;
  timeout: number;
  topicData: Array<{ topic: string; partitions: PartitionData[] }>;
  transactionalId?: string | null;
}

interface ProduceRequest {
  encode(): Promise<unknown>;
  [other: string]: unknown;
}

interface ProduceResponse {
  decode(data: Buffer): Promise<unknown>;
  parse(data: unknown): Promise<unknown>;
}

type ProduceBuilder = (args: ProduceArgs) => { request: ProduceRequest; response: ProduceResponse };

interface KafkaJsEncoder {
  buf: Buffer;
  offset: number;
}

function sealedOf(data: PartitionData): Buffer | undefined {
  return data.messages[0]?.[SEALED];
}

/** True when kafkajs builds this Produce request from the module's stand-ins. */
function isOwn(args: ProduceArgs): boolean {
  const first = args.topicData[0]?.partitions[0];
  return first !== undefined && sealedOf(first) !== undefined;
}

/**
 * The Produce request body (versions 3 to 7 share it): transactional id, acks, timeout,
 * then per topic and partition the sealed record batch.
 */
export function encodeProduceRequest(args: ProduceArgs): Buffer {
  const { acks, timeout, topicData } = args;
  const transactionalId = args.transactionalId ?? null;
  const sealed: Buffer[] = [];
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId)) + 2 + 4 + 4;
  for (const { topic, partitions } of topicData) {
    size += 2 + Buffer.byteLength(topic) + 4;
    for (const data of partitions) {
      const bytes = sealedOf(data);
      if (!bytes || data.messages.length !== 1) {
        // Only ever a bug: a partition of the request is not one stand-in.
        throw new Error(`partition ${data.partition} of ${topic} is not one encoded batch`);
      }
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

/** kafkajs's decoded Produce response (v3 to v7), as the module's requests get it. */
export interface ProduceAnswer {
  readonly topics: ReadonlyArray<{
    readonly topicName: string;
    readonly partitions: ReadonlyArray<{
      readonly partition: number;
      readonly errorCode: number;
      readonly baseOffset: string;
    }>;
  }>;
}

let installed = false;

/**
 * Makes kafkajs write the module's sealed record batches: its Produce request definition
 * is wrapped so that a request built from {@link standIn}s encodes them with
 * {@link encodeProduceRequest}, and its response resolves with every partition's answer
 * ({@link ProduceAnswer}) instead of throwing the first partition's error; every other
 * request (another kafkajs user in the process) is kafkajs's own. Idempotent.
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
        const parse = (data: unknown): Promise<unknown> => Promise.resolve(data);
        return { request: { ...built.request, encode }, response: { ...built.response, parse } };
      };
      wrapped.set(version, builder);
    }
    return builder;
  };
  installed = true;
}
