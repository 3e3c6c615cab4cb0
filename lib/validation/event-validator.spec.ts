import 'reflect-metadata';
import {
  IsInt,
  IsString,
  registerDecorator,
  Min,
  Validate,
  ValidateNested,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
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

/** An async constraint: the SKU must not be taken (looked up "remotely"). */
@ValidatorConstraint({ name: 'skuFree', async: true })
class SkuFree implements ValidatorConstraintInterface {
  validate(sku: unknown): Promise<boolean> {
    return new Promise((resolve) =>
      setTimeout(() => resolve(typeof sku === 'string' && sku !== 'taken'), 5),
    );
  }
}
class Listing {
  @IsString() @Validate(SkuFree) sku!: string;
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('EventValidator', () => {
  const validator = new EventValidator();

  it('lists every property and every constraint it broke, nested ones with their path', async () => {
    const order = Object.assign(new Order(), {
      quantity: 0.5,
      sku: 3,
      address: Object.assign(new Address(), { city: 1 }),
    });
    // Every constraint is synchronous: the answer is too (no promise).
    const error = thrownBy(() => validator.validate(order, 'Order'));
    expect(error).toBeInstanceOf(ValidationError);
    const v = (error as ValidationError).violations;
    expect(v.map((x) => x.property)).toEqual(['quantity', 'sku', 'address.city']);
    expect(Object.keys(v[0].constraints).sort()).toEqual(['isInt', 'min']);
    expect((error as ValidationError).message).toMatch(/^Order failed validation: quantity \(/);
  });

  it('accepts valid events and classes without constraints, synchronously', () => {
    const ok = Object.assign(new Order(), {
      quantity: 2,
      sku: 'a',
      address: Object.assign(new Address(), { city: 'x' }),
    });
    expect(validator.validate(ok, 'Order')).toBeUndefined();
    expect(validator.validate(new NoRules(), 'NoRules')).toBeUndefined();
  });

  it('awaits async constraints, as class-validator validate() does', async () => {
    const free = validator.validate(Object.assign(new Listing(), { sku: 'new' }), 'Listing');
    expect(free).toBeInstanceOf(Promise);
    await expect(free).resolves.toBeUndefined();
    const taken = validator.validate(Object.assign(new Listing(), { sku: 'taken' }), 'Listing');
    const error = await Promise.resolve(taken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations).toEqual([
      { property: 'sku', constraints: { skuFree: expect.any(String) } },
    ]);
  });

  it('reports a sync and an async violation of one event together', async () => {
    const both = validator.validate(Object.assign(new Listing(), { sku: 7 }), 'Listing');
    const error = await Promise.resolve(both).catch((e: unknown) => e);
    expect(Object.keys((error as ValidationError).violations[0].constraints).sort()).toEqual([
      'isString',
      'skuFree',
    ]);
  });

  it('sees constraints registered after a class was first validated', () => {
    class Late {
      name = '';
    }
    const late = new Late();
    expect(validator.validate(late, 'Late')).toBeUndefined();
    registerDecorator({
      target: Late,
      propertyName: 'name',
      name: 'nonEmpty',
      validator: { validate: (value: unknown) => typeof value === 'string' && value !== '' },
    });
    const error = thrownBy(() => validator.validate(late, 'Late'));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations[0].property).toBe('name');
  });

  it('validates inherited constraints, also of a parent decorated after its child was seen', () => {
    class Base {
      @IsString() id!: string;
    }
    class Child extends Base {
      @IsInt() n!: number;
    }
    const child = Object.assign(new Child(), { id: 'a', n: 1 });
    expect(validator.validate(child, 'Child')).toBeUndefined();
    const bad = Object.assign(new Child(), { id: 1, n: 'x' });
    const error = thrownBy(() => validator.validate(bad, 'Child')) as ValidationError;
    expect(error.violations.map((v) => v.property).sort()).toEqual(['id', 'n']);
    registerDecorator({
      target: Base,
      propertyName: 'extra',
      name: 'defined',
      validator: { validate: (value: unknown) => value !== undefined },
    });
    const missing = thrownBy(() => validator.validate(child, 'Child')) as ValidationError;
    expect(missing.violations.map((v) => v.property)).toEqual(['extra']);
  });
});
