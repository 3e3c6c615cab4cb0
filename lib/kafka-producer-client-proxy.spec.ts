import 'reflect-metadata';
import { Test, type TestingModule } from '@nestjs/testing';
import { KafkaRequestSerializer } from '@nestjs/microservices/serializers/kafka-request.serializer.js';
import { InvalidMessageException } from '@nestjs/microservices/errors/invalid-message.exception.js';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { NotSupportedError } from './errors/not-supported.error.js';
import { InvalidPartitionError } from './errors/invalid-partition.error.js';
import { SendFailedError } from './errors/send-failed.error.js';
import { KafkaProducerClientProxy } from './kafka-producer-client-proxy.js';
import { KafkaProducerTestingModule } from './kafka-producer-testing.module.js';
import { ProducerService } from './producer.service.js';
import { ProducerRecorder } from './testing/producer-recorder.js';

const TOPIC = 'proxy.events';

describe('KafkaProducerClientProxy (over the testing kit)', () => {
  let moduleRef: TestingModule;
  let proxy: KafkaProducerClientProxy;
  let recorder: ProducerRecorder;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerTestingModule.forRoot({ clientProxy: 'ORDERS_SERVICE', defaultPartitions: 4 }),
      ],
    }).compile();
    await moduleRef.init();
    proxy = moduleRef.get('ORDERS_SERVICE');
    recorder = moduleRef.get(ProducerRecorder);
  });
  afterEach(() => moduleRef.close());

  it('emit() writes what KafkaRequestSerializer makes of each value', async () => {
    const values = (): unknown[] => [
      { orderId: 'o-1' },
      'text',
      7,
      [1, { two: 2 }],
      { key: 'k', value: { a: 1 }, headers: { h: 'x' } },
      { key: { id: 1 }, value: undefined },
      { value: 'p', partition: 3 },
      new Date(0),
    ];
    for (const value of values()) await lastValueFrom(proxy.emit(TOPIC, value));
    const serializer = new KafkaRequestSerializer();
    const expected = values().map(
      (value) =>
        serializer.serialize(value) as {
          key?: string | null;
          value: string | Buffer | null;
          headers: Record<string, string>;
          partition?: number;
        },
    );
    const history = recorder.history(TOPIC);
    expect(history.map((r) => r.raw.key?.toString() ?? null)).toEqual(
      expected.map((m) => (m.key === undefined ? null : m.key)),
    );
    expect(history.map((r) => r.raw.value?.toString() ?? null)).toEqual(
      expected.map((m) => (m.value === null ? null : String(m.value))),
    );
    expect(history.map(({ headers: { 'x-event-id': id, ...rest } }) => [!!id, rest])).toEqual(
      expected.map((m) => [true, m.headers]),
    );
    expect(history[6].partition).toBe(3);
  });

  it("does not change the caller's message object", async () => {
    const message = { key: 'k', value: { a: 1 } };
    await lastValueFrom(proxy.emit(TOPIC, message));
    expect(message).toEqual({ key: 'k', value: { a: 1 } });
  });

  it('sends at once, as ClientProxy.emit does, and replays the outcome to a later subscriber', async () => {
    const emitted = proxy.emit(TOPIC, { key: 'k', value: 'v' });
    await recorder.waitFor(TOPIC, 1, 5000);
    const [report] = (await lastValueFrom(emitted)) as Array<{ offset: string; topic: string }>;
    expect(report).toMatchObject({ topic: TOPIC, offset: '0' });
  });

  it('errors arrive through the observable, typed', async () => {
    recorder.failTopic(TOPIC, new Error('broker says no'));
    await expect(firstValueFrom(proxy.emit(TOPIC, 'v'))).rejects.toBeInstanceOf(SendFailedError);
    await expect(
      firstValueFrom(proxy.emit(TOPIC, { value: 'v', partition: 9 })),
    ).rejects.toBeInstanceOf(InvalidPartitionError);
  });

  it('emitBatch() sends the messages in order in one call', async () => {
    const reports = await lastValueFrom(
      proxy.emitBatch(TOPIC, { messages: [{ key: 'a', value: 1 }, { key: 'a', value: 2 }, 'x'] }),
    );
    expect(reports).toHaveLength(3);
    expect(recorder.history(TOPIC).map((r) => r.value)).toEqual([1, 2, 'x']);
    expect(await lastValueFrom(proxy.emitBatch(TOPIC, { messages: [] }))).toEqual([]);
    const missing = undefined as unknown as { messages: unknown[] };
    await expect(lastValueFrom(proxy.emitBatch(TOPIC, missing))).rejects.toBeInstanceOf(
      InvalidMessageException,
    );
  });

  it('send() and subscribeToResponseOf() throw NotSupportedError; unwrap() is the producer', () => {
    expect(() => proxy.send('orders.get', { id: 1 })).toThrow(NotSupportedError);
    expect(() => proxy.send('orders.get', { id: 1 })).toThrow(/request-reply/);
    expect(() => proxy.subscribeToResponseOf('orders.get')).toThrow(NotSupportedError);
    expect(proxy.unwrap()).toBe(moduleRef.get(ProducerService));
    expect(proxy).toBeInstanceOf(KafkaProducerClientProxy);
  });
});
