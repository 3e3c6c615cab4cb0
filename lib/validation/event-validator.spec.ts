import 'reflect-metadata';
import { IsInt, IsString, Min, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { ValidationError } from '../errors/validation.error.js';
import { EventValidator } from './event-validator.js';

class Address {
  @IsString() city!: string;
}
class Order {
  @IsInt() @Min(1) quantity!: number;
  @IsString() sku!: string;
  @ValidateNested() @Type(() => Address) address!: Address;
}
class NoRules {
  anything = 1;
}

describe('EventValidator', () => {
  const validator = new EventValidator();

  it('lists every property and every constraint it broke, nested ones with their path', async () => {
    const order = Object.assign(new Order(), {
      quantity: 0.5,
      sku: 3,
      address: Object.assign(new Address(), { city: 1 }),
    });
    const error = await validator.validate(order, 'Order').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const v = (error as ValidationError).violations;
    expect(v.map((x) => x.property)).toEqual(['quantity', 'sku', 'address.city']);
    expect(Object.keys(v[0].constraints).sort()).toEqual(['isInt', 'min']);
    expect((error as ValidationError).message).toMatch(/^Order failed validation: quantity \(/);
  });

  it('accepts valid events and classes without constraints', async () => {
    const ok = Object.assign(new Order(), {
      quantity: 2,
      sku: 'a',
      address: Object.assign(new Address(), { city: 'x' }),
    });
    await expect(validator.validate(ok, 'Order')).resolves.toBeUndefined();
    await expect(validator.validate(new NoRules(), 'NoRules')).resolves.toBeUndefined();
  });
});
