import { keyOf, PayloadFactory } from '../support/payload.js';
import type { CellSpec } from '../support/types.js';
import { CLIENT_ID, SkipCell, type Driver } from './driver.js';

/** The version in package.json: the 1.x line is the last that supports Node 20 (2.x needs 22). */
const PACKAGE = '@platformatic/kafka';

/**
 * `@platformatic/kafka` (pure JS): one `send()` per message, or many messages per `send()`.
 * Its idempotent producer forces acks -1 and one request in flight per connection. It has its
 * own lz4 (WebAssembly), so it needs no kafkajs codec.
 */
export async function openPlatformatic(spec: CellSpec): Promise<Driver> {
  let lib: any;
  try {
    lib = await import(PACKAGE);
  } catch (error) {
    throw new SkipCell(`${PACKAGE} does not load: ${(error as Error).message.split('\n')[0]}`);
  }
  const { acks, keyed } = spec.shape;
  const producer = new lib.Producer({
    clientId: CLIENT_ID,
    bootstrapBrokers: spec.brokers,
    serializers: lib.stringSerializers,
    idempotent: acks === -1 && !spec.nonIdempotent,
    acks,
    compression: spec.shape.compression,
    autocreateTopics: false,
  });
  const factory = new PayloadFactory(spec.shape.size);
  const topic = spec.topic;
  const message = (i: number) =>
    keyed ? { topic, key: keyOf(i), value: factory.json(i) } : { topic, value: factory.json(i) };
  // Connects (and fetches metadata) before the measurement starts.
  await producer.metadata({ topics: [topic] });
  return {
    sendOne(i) {
      return producer.send({ messages: [message(i)] });
    },
    async sendBatch(from, count) {
      const messages = new Array<unknown>(count);
      for (let j = 0; j < count; j++) messages[j] = message(from + j);
      await producer.send({ messages });
    },
    async close() {
      await producer.close();
    },
  };
}
