import { IsInt, IsString, IsUUID, Min } from 'class-validator';
import { KafkaEvent, KeyedBy, Reliability, avro } from '../../lib/index.js';
import type { OrderCreated } from './order-created.event.js';

/** The Avro schema of OrderCreatedAvro, registered under `orders.created.avro-value` on its first send. */
export const ORDER_CREATED_SCHEMA = {
  type: 'record',
  name: 'OrderCreated',
  namespace: 'sample.orders',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'sku', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'tenantId', type: 'string' },
  ],
};

/**
 * OrderCreated for Java consumers that read Avro from a schema registry: the same fields in
 * Confluent's wire format (magic byte 0, the schema id, the Avro binary), on a topic of its own.
 */
@KafkaEvent('orders.created.avro', { serializer: avro(ORDER_CREATED_SCHEMA) })
@KeyedBy('orderId')
@Reliability('all')
export class OrderCreatedAvro {
  @IsUUID() orderId!: string;
  @IsString() sku!: string;
  @IsInt() @Min(1) quantity!: number;
  @IsString() tenantId!: string;

  static from(order: OrderCreated): OrderCreatedAvro {
    const { orderId, sku, quantity, tenantId } = order;
    return Object.assign(new OrderCreatedAvro(), { orderId, sku, quantity, tenantId });
  }
}
