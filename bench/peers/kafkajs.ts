import { Kafka, logLevel, type Message } from 'kafkajs';
import { kafkajsCompression, prepareCodec } from '../support/codecs.js';
import { keyOf, PayloadFactory } from '../support/payload.js';
import type { CellSpec } from '../support/types.js';
import { CLIENT_ID, SkipCell, type Driver } from './driver.js';

/**
 * kafkajs 2.2.4 used directly: one awaited `send()` per message, or hand-batched `sendBatch()`.
 * acks all cells use the idempotent producer with maxInFlightRequests 5 (Java's default and the
 * module's); acks 1 cells a plain producer with kafkajs defaults. Transactional cells (W6): a
 * producer with a transactionalId and maxInFlightRequests 1 (what kafkajs's documentation asks
 * for transactions), each `sendBatch` one `transaction()`, `send`, `commit()`.
 */
export async function openKafkajs(spec: CellSpec): Promise<Driver> {
  const codecProblem = await prepareCodec(spec.shape.compression);
  if (codecProblem) throw new SkipCell(codecProblem);
  const { acks, keyed } = spec.shape;
  const kafka = new Kafka({
    clientId: CLIENT_ID,
    brokers: spec.brokers,
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer(
    spec.transactional
      ? {
          transactionalId: `bench-kafkajs-${spec.topic}`,
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
        }
      : acks === -1
        ? { idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false }
        : { allowAutoTopicCreation: false },
  );
  await producer.connect();
  const factory = new PayloadFactory(spec.shape.size);
  const compression = kafkajsCompression(spec.shape.compression);
  const topic = spec.topic;
  const message = (i: number): Message =>
    keyed ? { key: keyOf(i), value: factory.json(i) } : { value: factory.json(i) };
  return {
    sendOne(i) {
      return producer.send({ topic, acks, compression, messages: [message(i)] });
    },
    async sendBatch(from, count) {
      const messages = new Array<Message>(count);
      for (let j = 0; j < count; j++) messages[j] = message(from + j);
      if (spec.transactional) {
        const tx = await producer.transaction();
        try {
          await tx.send({ topic, acks, compression, messages });
          await tx.commit();
        } catch (error) {
          await tx.abort().catch(() => undefined);
          throw error;
        }
        return;
      }
      await producer.sendBatch({ acks, compression, topicMessages: [{ topic, messages }] });
    },
    async close() {
      await producer.disconnect();
    },
  };
}
