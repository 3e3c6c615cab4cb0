import 'reflect-metadata';
import { Test, type TestingModule } from '@nestjs/testing';
import avsc from 'avsc';
import { partitionForKey, type SchemaRegistryApi, ValidationError } from '../../lib/index.js';
import {
  getRecorderToken,
  KafkaProducerTestingModule,
  ProducerRecorder,
} from '../../lib/testing.js';
import { CreateOrderDto } from './create-order.dto.js';
import { ORDER_CREATED_SCHEMA } from './order-created-avro.event.js';
import { OrdersService } from './orders.service.js';

/** A registry with one subject: enough for the Avro twin's first send (unit tests may use fakes). */
const registry: SchemaRegistryApi = {
  register: () => Promise.resolve(7),
  lookup: () => Promise.reject(new Error('not used')),
  latest: () => Promise.reject(new Error('not used')),
  schemaById: () => Promise.reject(new Error('not used')),
};

const dto = (fields: Partial<CreateOrderDto>) =>
  Object.assign(new CreateOrderDto(), { sku: 'sku-1', quantity: 2, tenantId: 'acme', ...fields });

describe('OrdersService (with the testing kit)', () => {
  let moduleRef: TestingModule;
  let orders: OrdersService;
  let recorder: ProducerRecorder;
  let audit: ProducerRecorder;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerTestingModule.forRoot({
          isGlobal: true,
          partitions: { 'orders.created': 3 },
          schemaRegistry: registry,
        }),
        KafkaProducerTestingModule.forRoot({
          name: 'audit',
          isGlobal: true,
          reliability: 'leader',
        }),
      ],
      providers: [OrdersService],
    }).compile();
    await moduleRef.init();
    orders = moduleRef.get(OrdersService);
    recorder = moduleRef.get(ProducerRecorder);
    audit = moduleRef.get<ProducerRecorder>(getRecorderToken('audit'));
  });
  afterEach(() => moduleRef.close());

  it('publishes the order, its Avro twin, a metric and an audit record', async () => {
    const { orderId, delivery } = await orders.create(dto({}));
    const [created] = recorder.history('orders.created');
    expect(created).toMatchObject({
      key: orderId,
      partition: partitionForKey(Buffer.from(orderId), 3),
      offset: delivery.offset,
      value: { orderId, sku: 'sku-1', quantity: 2 },
      headers: { 'x-tenant-id': 'acme' },
    });
    const [twin] = recorder.history('orders.created.avro');
    const bytes = twin.raw.value!;
    expect([bytes[0], bytes.readInt32BE(1)]).toEqual([0, 7]); // Confluent's wire format, id 7
    expect(
      avsc.Type.forSchema(ORDER_CREATED_SCHEMA as avsc.Schema).fromBuffer(bytes.subarray(5)),
    ).toMatchObject({ orderId, sku: 'sku-1', quantity: 2, tenantId: 'acme' });
    expect(recorder.history('orders.metrics').map((r) => r.value)).toMatchObject([
      { name: 'orders.created.count', value: 1 },
    ]);
    expect(audit.history('orders.audit').map((r) => r.value)).toEqual([`created ${orderId}`]);
  });

  it('refuses an invalid order with ValidationError before anything is sent', async () => {
    await expect(orders.create(dto({ quantity: 0 }))).rejects.toBeInstanceOf(ValidationError);
    expect(recorder.history()).toEqual([]);
    expect(audit.history()).toEqual([]);
  });

  it('fails the order when Kafka refuses its topic, and sends nothing else', async () => {
    recorder.failTopic('orders.created', new Error('TOPIC_AUTHORIZATION_FAILED'));
    await expect(orders.create(dto({}))).rejects.toThrow('TOPIC_AUTHORIZATION_FAILED');
    expect(recorder.history()).toEqual([]);
    expect(audit.history()).toEqual([]);
  });
});
