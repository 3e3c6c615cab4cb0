import { IsInt, IsString } from 'class-validator';
import { KafkaEvent, Reliability } from '../../lib/index.js';

/** A counter sample: losing one is fine, so it is fire-and-forget (acks 0) and keyless. */
@KafkaEvent('orders.metrics')
@Reliability('fire-and-forget')
export class OrderMetric {
  @IsString() name!: string;
  @IsInt() value!: number;

  static of(name: string, value: number): OrderMetric {
    return Object.assign(new OrderMetric(), { name, value });
  }
}
