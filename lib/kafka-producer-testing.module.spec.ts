import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import { KafkaEvent } from './decorators/kafka-event.decorator.js';
import { KafkaHeader } from './decorators/kafka-header.decorator.js';
import { KeyedBy } from './decorators/keyed-by.decorator.js';
import { SendFailedError } from './errors/send-failed.error.js';
import { ValidationError } from './errors/validation.error.js';
import { UnknownTopicError } from './errors/unknown-topic.error.js';
import { getProducerToken } from './kafka-producer.utils.js';
import { KafkaProducerTestingModule, getRecorderToken } from './kafka-producer-testing.module.js';
import { partitionForKey } from './partitioning/murmur2.js';
import { ProducerService } from './producer.service.js';
import { ProducerRecorder } from './testing/producer-recorder.js';

@KafkaEvent('kit.orders')
@KeyedBy('orderId')
class OrderPlaced {
  @IsString() orderId!: string;
  @IsInt() @Min(1) quantity!: number;
  @KafkaHeader('x-tenant') @IsString() tenant!: string;

  static of(orderId: string, quantity: number, tenant = 't1'): OrderPlaced {
    return Object.assign(new OrderPlaced(), { orderId, quantity, tenant });
  }
}

async function kit(options: Parameters<typeof KafkaProducerTestingModule.forRoot>[0] = {}) {
  const moduleRef = await Test.createTestingModule({
    imports: [KafkaProducerTestingModule.forRoot(options)],
  }).compile();
  await moduleRef.init();
  return {
    moduleRef,
    producer: moduleRef.get<ProducerService>(getProducerToken(options.name)),
    recorder: moduleRef.get<ProducerRecorder>(getRecorderToken(options.name)),
  };
}

describe('KafkaProducerTestingModule', () => {
  it('records what a send writes: decoded key, value, headers, the partition murmur2 picks', async () => {
    const { moduleRef, producer, recorder } = await kit({ partitions: { 'kit.orders': 6 } });
    const keys = ['a-1', 'b-2', 'c-3', 'd-4', 'e-5'];
    const reports = await Promise.all(keys.map((k, i) => producer.send(OrderPlaced.of(k, i + 1))));
    const history = recorder.history('kit.orders');
    expect(history.map((r) => r.key).sort()).toEqual(keys);
    for (const r of history) {
      expect(r.partition).toBe(partitionForKey(Buffer.from(r.key!), 6));
      expect(r.value).toEqual({ orderId: r.key, quantity: keys.indexOf(r.key!) + 1, tenant: 't1' });
      expect(r.headers['x-tenant']).toBe('t1');
      expect(r.raw.value).toEqual(Buffer.from(JSON.stringify(r.value)));
      const report = reports[keys.indexOf(r.key!)];
      expect([report.partition, report.offset, report.eventId]).toEqual([
        r.partition,
        r.offset,
        r.headers['x-event-id'],
      ]);
    }
    expect(recorder.history()).toHaveLength(5);
    expect(recorder.history('other')).toEqual([]);
    recorder.clear();
    expect(recorder.history()).toEqual([]);
    await moduleRef.close();
  });

  it('validates as production does: a bad DTO rejects with ValidationError and nothing is recorded', async () => {
    const { moduleRef, producer, recorder } = await kit();
    const error = await producer.send(OrderPlaced.of('x', 0)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain('quantity');
    await producer.flush();
    expect(recorder.history()).toEqual([]);
    await moduleRef.close();
  });

  it('autoComplete false: sends wait until completeNext() or errorNext()', async () => {
    const { moduleRef, producer, recorder } = await kit({
      autoComplete: false,
      producer: { lingerMs: 0 },
    });
    const first = producer.send(OrderPlaced.of('k1', 1));
    const waited = recorder.waitFor('kit.orders', 1, 5000);
    while (recorder.pendingCount === 0) await new Promise((r) => setImmediate(r));
    expect(recorder.history()).toEqual([]);
    const completed = await recorder.completeNext();
    expect(completed.map((r) => r.key)).toEqual(['k1']);
    expect((await first).offset).toBe('0');
    expect((await waited).map((r) => r.key)).toEqual(['k1']);

    const second = producer.send(OrderPlaced.of('k1', 2)).catch((e: unknown) => e);
    while (recorder.pendingCount === 0) await new Promise((r) => setImmediate(r));
    expect(recorder.errorNext(new Error('disk full'))).toBe(true);
    const error = await second;
    expect(error).toBeInstanceOf(SendFailedError);
    expect((error as SendFailedError).message).toContain('disk full');
    expect(recorder.errorNext(new Error('none waits'))).toBe(false);
    expect(await recorder.completeNext()).toEqual([]);
    await moduleRef.close();
  });

  it('fails a topic with the injected error until it is cleared', async () => {
    const { moduleRef, producer, recorder } = await kit();
    const unknown = new UnknownTopicError('kit.orders', 'not there');
    recorder.failTopic('kit.orders', unknown);
    await expect(producer.send(OrderPlaced.of('k', 1))).rejects.toBe(unknown);
    recorder.failTopic('kit.orders', undefined);
    await expect(producer.send(OrderPlaced.of('k', 1))).resolves.toMatchObject({ offset: '0' });
    await moduleRef.close();
  });

  it('waitFor rejects with the count it saw when the records do not come', async () => {
    const { moduleRef, recorder } = await kit();
    await expect(recorder.waitFor('kit.orders', 2, 20)).rejects.toThrow(
      "waitFor('kit.orders', 2): 0 record(s) after 20 ms",
    );
    await moduleRef.close();
  });

  it('keeps keyless records on one sticky partition and counts offsets per partition', async () => {
    const { moduleRef, producer, recorder } = await kit({ defaultPartitions: 3 });
    const reports = await producer.sendRaw('kit.raw', [
      { value: 'a' },
      { value: 'b' },
      { value: 'c', partition: 2 },
    ]);
    const history = recorder.history('kit.raw');
    expect(history.map((r) => r.value)).toEqual(['a', 'b', 'c']);
    expect(history[0].partition).toBe(history[1].partition);
    expect(history[2].partition).toBe(2);
    expect(reports.map((r) => r.partition)).toEqual(history.map((r) => r.partition));
    await moduleRef.close();
  });

  it('registers named producers beside the default one, as KafkaProducerModule does', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerTestingModule.forRoot(),
        KafkaProducerTestingModule.forRoot({ name: 'audit' }),
      ],
    }).compile();
    await moduleRef.init();
    await moduleRef.get(ProducerService).send(OrderPlaced.of('k', 1));
    await moduleRef.get<ProducerService>(getProducerToken('audit')).send(OrderPlaced.of('k', 2));
    expect(
      moduleRef
        .get(ProducerRecorder)
        .history()
        .map((r) => r.value),
    ).toMatchObject([{ quantity: 1 }]);
    expect(
      moduleRef
        .get<ProducerRecorder>(getRecorderToken('audit'))
        .history()
        .map((r) => r.value),
    ).toMatchObject([{ quantity: 2 }]);
    await moduleRef.close();
  });
  it('keeps a transaction apart: committed records and offsets appear on commit, aborted ones never', async () => {
    const { moduleRef, producer, recorder } = await kit({
      transactionalIdPrefix: 'kit-tx',
      partitions: { 'kit.orders': 3 },
    });
    const offsets = {
      consumerGroupId: 'enricher',
      topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '42' }] }],
    };
    const value = await producer.transaction(async (tx) => {
      await tx.sendMany([OrderPlaced.of('c-1', 1), OrderPlaced.of('c-2', 2)]);
      await tx.sendOffsets(offsets);
      // Acked, but not committed yet: a read_committed consumer does not see them.
      expect(recorder.history('kit.orders')).toEqual([]);
      expect(recorder.transactions().map((t) => t.state)).toEqual(['open']);
      return 'done';
    });
    expect(value).toBe('done');
    await expect(
      producer.transaction(async (tx) => {
        await tx.send(OrderPlaced.of('a-1', 3));
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(recorder.history('kit.orders').map((r) => r.key)).toEqual(['c-1', 'c-2']);
    expect(recorder.committed().map((r) => r.key)).toEqual(['c-1', 'c-2']);
    expect(recorder.aborted().map((r) => r.key)).toEqual(['a-1']);
    const [committed, aborted] = recorder.transactions();
    expect(committed).toMatchObject({ state: 'committed', offsets: [offsets] });
    expect(aborted).toMatchObject({ state: 'aborted', offsets: [] });
    expect(committed.transactionalId).toMatch(/^kit-tx/);
    // The same validation as outside a transaction: nothing of a bad DTO is recorded.
    await expect(
      producer.transaction((tx) => tx.send(OrderPlaced.of('bad', 0))),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(recorder.committed()).toHaveLength(2);
    await moduleRef.close();
  });
});
