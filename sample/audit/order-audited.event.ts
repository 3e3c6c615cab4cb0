import { IsIn, IsString } from 'class-validator';
import { KafkaEvent, KeyedBy } from '../../lib/index.js';

/**
 * Sent through the named 'audit' producer (acks 1 by its module default), keyed by
 * tenant and order together, with the value as plain text.
 */
@KafkaEvent('orders.audit', {
  serializer: 'string',
  valueFrom: (e: OrderAudited) => `${e.action} ${e.orderId}`,
})
@KeyedBy(['tenantId', 'orderId'])
export class OrderAudited {
  @IsString() tenantId!: string;
  @IsString() orderId!: string;
  @IsIn(['created']) action!: 'created';

  static of(tenantId: string, orderId: string): OrderAudited {
    return Object.assign(new OrderAudited(), { tenantId, orderId, action: 'created' as const });
  }
}
