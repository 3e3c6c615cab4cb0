import { IsInt, IsString, IsUUID, Min } from 'class-validator';
import { KafkaEvent, KafkaHeader, KeyedBy, Reliability } from '../../lib/index.js';

/** Published for every order: keyed by order id, so one order's events stay in order. */
@KafkaEvent('orders.created')
@KeyedBy('orderId')
@Reliability('all')
export class OrderCreated {
  @IsUUID() orderId!: string;
  @IsString() sku!: string;
  @IsInt() @Min(1) quantity!: number;
  @KafkaHeader('x-tenant-id') @IsString() tenantId!: string;

  static of(fields: Omit<OrderCreated, never>): OrderCreated {
    return Object.assign(new OrderCreated(), fields);
  }
}
