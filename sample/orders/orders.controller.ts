import { BadRequestException, Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ValidationError } from '../../lib/index.js';
import { CreateOrderDto } from './create-order.dto.js';
import { OrdersService } from './orders.service.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(201)
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
