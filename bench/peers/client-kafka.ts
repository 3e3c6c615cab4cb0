import { Logger } from '@nestjs/common';
import { ClientKafka } from '@nestjs/microservices';
import { logLevel } from 'kafkajs';
import { lastValueFrom, type Observable } from 'rxjs';
import { kafkajsCompression, prepareCodec } from '../support/codecs.js';
import { keyOf, PayloadFactory } from '../support/payload.js';
import type { CellSpec } from '../support/types.js';
import { CLIENT_ID, SkipCell, type Driver } from './driver.js';

/**
 * What Nest users have today: `@nestjs/microservices` ClientKafka (kafkajs underneath) in
 * producer-only mode, `emit(topic, data)` per message, awaited with `lastValueFrom`. The
 * producer and send options mirror the raw kafkajs peer (idempotent + 5 in flight for acks all).
 */
export async function openClientKafka(spec: CellSpec): Promise<Driver> {
  const codecProblem = await prepareCodec(spec.shape.compression);
  if (codecProblem) throw new SkipCell(codecProblem);
  Logger.overrideLogger(false);
  const { acks } = spec.shape;
  const client = new ClientKafka({
    client: { clientId: CLIENT_ID, brokers: spec.brokers, logLevel: logLevel.NOTHING },
    producer:
      acks === -1
        ? { idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false }
        : { allowAutoTopicCreation: false },
    producerOnlyMode: true,
    send: { acks, compression: kafkajsCompression(spec.shape.compression) },
  });
  await client.connect();
  return emitDriver(client, spec, () => client.close());
}

/** What the driver uses of a Kafka ClientProxy (ClientKafka's, or the module's drop-in). */
interface Emitter {
  emit(pattern: string, data: unknown): Observable<unknown>;
}
type BatchingEmitter = Emitter & {
  emitBatch(pattern: string, batch: { messages: unknown[] }): Observable<unknown>;
};

/**
 * Drives a Kafka ClientProxy as a Nest user does: `emit(topic, data)` per record (or
 * `emitBatch`), awaited with `lastValueFrom`; data is `{ key, value }` when keyed, else the
 * fields themselves.
 */
export function emitDriver(proxy: Emitter, spec: CellSpec, close: () => Promise<unknown>): Driver {
  const client = proxy as BatchingEmitter;
  const factory = new PayloadFactory(spec.shape.size);
  const topic = spec.topic;
  const data = (i: number) =>
    spec.shape.keyed ? { key: keyOf(i), value: factory.fields(i) } : factory.fields(i);
  return {
    sendOne(i) {
      return lastValueFrom(client.emit(topic, data(i)));
    },
    async sendBatch(from, count) {
      const messages = [];
      for (let j = 0; j < count; j++) messages.push(data(from + j));
      await lastValueFrom(client.emitBatch(topic, { messages }));
    },
    async close() {
      await close();
    },
  };
}
