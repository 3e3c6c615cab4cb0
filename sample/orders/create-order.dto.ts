import { IsInt, IsString, Min } from 'class-validator';

/** Body of `POST /orders`. */
export class CreateOrderDto {
  @IsString() sku!: string;
  @IsInt() @Min(1) quantity!: number;
  @IsString() tenantId!: string;
}
