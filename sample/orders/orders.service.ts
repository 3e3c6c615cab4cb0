import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectProducer, ProducerService, type DeliveryReport } from '../../lib/index.js';
import { OrderAudited } from '../audit/order-audited.event.js';
import { OrderMetric } from '../metrics/order-metric.event.js';
import type { CreateOrderDto } from './create-order.dto.js';
import { OrderCreatedAvro } from './order-created-avro.event.js';
import { OrderCreated } from './order-created.event.js';

@Injectable()
export class OrdersService {
  private created = 0;

  constructor(
    private readonly producer: ProducerService,
    @InjectProducer('audit') private readonly audit: ProducerService,
  ) {}

  /**
   * Publishes OrderCreated (acks all), its Avro twin for schema-registry consumers, a metric
   * (acks 0) and an audit record (the named 'audit' producer, acks 1); resolves with the
   * order's report.
   */
  async create(dto: CreateOrderDto): Promise<{ orderId: string; delivery: DeliveryReport }> {
    const event = OrderCreated.of({ orderId: randomUUID(), ...dto });
    const delivery = await this.producer.send(event);
    await Promise.all([
      this.producer.send(OrderCreatedAvro.from(event)),
      this.producer.send(OrderMetric.of('orders.created.count', ++this.created)),
      this.audit.send(OrderAudited.of(dto.tenantId, event.orderId)),
    ]);
    return { orderId: event.orderId, delivery };
  }
}
