import { BadRequestException, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Outboxed, ValidationError } from '../../lib/index.js';
import { CreateOrderDto } from './create-order.dto.js';
import { OrdersService } from './orders.service.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  /**
   * The events the handler sends are staged and published once it succeeds (none if it
   * throws); if Kafka is down they go to the outbox and the answer is still 201.
   */
  @Post()
  @HttpCode(201)
  @Outboxed()
  async create(@Body() body: CreateOrderDto) {
    try {
      return await this.orders.create(Object.assign(new CreateOrderDto(), body));
    } catch (error) {
      // The module validated the event before sending anything: a 400, not a 500.
      if (error instanceof ValidationError) throw new BadRequestException(error.message);
      throw error;
    }
  }
}
