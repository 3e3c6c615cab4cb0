import { IsIn, IsInt, IsString, IsUUID, Min } from 'class-validator';
import { KafkaEvent, KafkaHeader, KeyedBy } from '../../lib/index.js';

/** What the enricher writes for each OrderCreated it reads: the order and its size class. */
@KafkaEvent('orders.enriched')
@KeyedBy('orderId')
export class OrderEnriched {
  @IsUUID() orderId!: string;
  @IsString() sku!: string;
  @IsInt() @Min(1) quantity!: number;
  @IsIn(['single', 'bulk']) size!: 'single' | 'bulk';
  /** Where the order was read: `orders.created/<partition>@<offset>`. */
  @IsString() source!: string;
  @KafkaHeader('x-tenant-id') @IsString() tenantId!: string;
}
