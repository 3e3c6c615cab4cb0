import { IsInt, IsString, Min } from 'class-validator';
import { KafkaEvent, KafkaHeader, KeyedBy, Reliability } from '../../lib/index.js';

/** Topics of the shared test events; each test run gets fresh names. */
export const topics = {
  orders: `e2e-orders-${Date.now().toString(36)}`,
  leader: `e2e-leader-${Date.now().toString(36)}`,
  fire: `e2e-fire-${Date.now().toString(36)}`,
};

@KafkaEvent(topics.orders)
@KeyedBy('orderId')
export class OrderPlaced {
  @IsString() orderId!: string;
  @IsInt() @Min(1) quantity!: number;
  @KafkaHeader('x-tenant-id') @IsString() tenantId!: string;

  static of(orderId: string, quantity = 1, tenantId = 'acme'): OrderPlaced {
    return Object.assign(new OrderPlaced(), { orderId, quantity, tenantId });
  }
}

@KafkaEvent(topics.leader)
@KeyedBy('id')
@Reliability('leader')
export class LeaderAcked {
  @IsString() id!: string;

  static of(id: string): LeaderAcked {
    return Object.assign(new LeaderAcked(), { id });
  }
}

@KafkaEvent(topics.fire)
@Reliability('fire-and-forget')
export class FireAndForget {
  @IsInt() n!: number;

  static of(n: number): FireAndForget {
    return Object.assign(new FireAndForget(), { n });
  }
}
