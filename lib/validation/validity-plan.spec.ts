import 'reflect-metadata';
import { isDeepStrictEqual } from 'node:util';
import {
  Allow,
  ArrayMaxSize,
  ArrayNotEmpty,
  Contains,
  Equals,
  getMetadataStorage,
  IsArray,
  IsBoolean,
  IsDateString,
  IsDefined,
  IsEmail,
  IsEmpty,
  IsEnum,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  NotEquals,
  registerDecorator,
  validate,
  Validate,
  ValidateIf,
  ValidateNested,
  ValidatePromise,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidationError as ClassValidatorError,
  type ValidationOptions,
  type ValidatorConstraintInterface,
  type ValidatorOptions,
} from 'class-validator';
import { ValidationError, type PropertyViolation } from '../errors/validation.error.js';
import { EventValidator } from './event-validator.js';
import { ValidityPlan, type ConstraintUse } from './validity-plan.js';

// ---------------------------------------------------------------------------------------------
// The corpus: sync classes covering the built-in decorators, custom constraints, inheritance.
// ---------------------------------------------------------------------------------------------

enum Color {
  Red = 'red',
  Green = 'green',
}
/** A numeric enum: class-validator's IsEnum also accepts its reverse-mapped names ('Low'). */
enum Level {
  Low = 1,
  High = 2,
}

class Basics {
  @IsString() name!: string;
  @IsInt() @Min(0) @Max(120) age!: number;
  @IsNumber() score!: number;
  @IsBoolean() active!: boolean;
}

class Texts {
  @Length(2, 10) code!: string;
  @MinLength(3) @MaxLength(8) nick!: string;
  @IsNotEmpty() title!: string;
  @IsEmpty() nothing?: unknown;
  @Matches(/^[a-z]+$/) slug!: string;
  @Contains('needle') text!: string;
}

class Formats {
  @IsEmail() email!: string;
  @IsUUID('4') id!: string;
  @IsDateString() day!: string;
  @IsISO8601({ strict: true }) at!: string;
}

class Choices {
  @IsEnum(Color) color!: Color;
  @IsEnum(Level) level!: Level;
  @IsIn(['a', 'b', 1]) pick!: string | number;
  @Equals('fixed') kind!: string;
  @NotEquals('bad') mood!: string;
  @IsPositive() amount!: number;
}

class Collections {
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(3) tags!: unknown[];
  @IsObject() meta!: object;
  @IsNotEmpty() list!: unknown;
}

class Numbers {
  @IsNumber({ allowNaN: true, allowInfinity: true }) loose!: number;
  @IsNumber({ maxDecimalPlaces: 2 }) money!: number;
  /** Min/Max without a type check: strings and null fail them. */
  @Min(-5) @Max(5) bounded!: unknown;
  @IsInt() @IsPositive() count!: number;
  @NotEquals(null) notNull!: unknown;
}

class Optionals {
  @IsOptional() @IsString() note?: string;
  @IsOptional() @IsInt() @Min(1) count?: number;
  @IsDefined() @IsString() required!: string;
  @IsOptional() @IsDefined() maybe?: unknown;
  @IsDefined() anything!: unknown;
}

class Conditionals {
  @IsIn(['card', 'cash']) method!: string;
  @ValidateIf((o: Conditionals) => o.method === 'card') @IsString() @Length(4, 4) pin?: string;
  @ValidateIf((_o: Conditionals, value: unknown) => value !== 0)
  @IsDefined()
  @IsPositive()
  tip?: number;
  /** A per-constraint condition: only IsString depends on the method, IsNotEmpty always runs. */
  @IsString({ validateIf: (o: Conditionals) => o.method !== 'cash' }) @IsNotEmpty() ref?: string;
  @ValidateIf((o: Conditionals) => o.method === 'card') @IsOptional() @IsEmail() receipt?: string;
}

@ValidatorConstraint({ name: 'even' })
class EvenConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'number' && value % 2 === 0;
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be even`;
  }
}

@ValidatorConstraint({ name: 'between', async: false })
class BetweenConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const [low, high] = args.constraints as [number, number];
    return typeof value === 'number' && value >= low && value <= high;
  }
}

function IsPalindrome(options?: ValidationOptions): PropertyDecorator {
  return (object, propertyName) =>
    registerDecorator({
      name: 'isPalindrome',
      target: object.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && value !== '' && [...value].reverse().join('') === value,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must read the same backwards`,
      },
    });
}

/** Answers with the value itself: class-validator judges the answer by truthiness. */
function IsTruthy(): PropertyDecorator {
  return (object, propertyName) =>
    registerDecorator({
      name: 'isTruthy',
      target: object.constructor,
      propertyName: propertyName as string,
      validator: { validate: (value: unknown) => value as boolean },
    });
}

/** Reads the other arguments class-validator passes: the object, the target name, constraints. */
function SameAs(other: string): PropertyDecorator {
  return (object, propertyName) =>
    registerDecorator({
      name: 'sameAs',
      target: object.constructor,
      propertyName: propertyName as string,
      constraints: [other],
      validator: {
        validate: (value: unknown, args?: ValidationArguments) =>
          args?.targetName === 'Customs' &&
          args.property === propertyName &&
          (args.object as Record<string, unknown>)[args.constraints[0] as string] === value,
      },
    });
}

class Customs {
  @Validate(EvenConstraint) even!: number;
  @Validate(BetweenConstraint, [1, 10]) between!: number;
  @IsPalindrome() word!: string;
  @IsTruthy() flag!: unknown;
  @SameAs('word') echo!: string;
}

class Base {
  @IsString() @MinLength(2) name!: string;
  @IsInt() @Min(0) level!: number;
  @IsOptional() @IsString() nick?: string;
  @IsBoolean() flag!: boolean;
}

/**
 * class-validator drops an inherited constraint when the subclass has one of the same type on
 * the property: Max replaces IsInt and Min (all 'customValidation'); IsDefined (its own type)
 * is added to the inherited IsOptional and IsString.
 */
class Derived extends Base {
  @Max(10) override level!: number;
  @IsDefined() override nick?: string;
  @IsEmail() contact!: string;
}

class AllowOnly {
  @Allow() anything!: unknown;
}

class Grouped {
  @IsString({ groups: ['admin'] }) secret!: string;
  @IsInt({ always: true }) n!: number;
  @IsString() plain!: string;
  @IsPositive({ groups: ['admin'], always: false }) bonus!: number;
}

/** Integer-like names: class-validator visits them first (Object.keys order), a Map does not. */
class NumericNames {
  @IsString() b!: string;
  @IsInt() '10'!: number;
  @IsBoolean() '2'!: boolean;
}

class NoRules {
  value = 1;
}

// ---------------------------------------------------------------------------------------------
// Generated instances
// ---------------------------------------------------------------------------------------------

const POOL: readonly unknown[] = [
  '',
  ' ',
  'a',
  'ab',
  'abc',
  'abba',
  'hello',
  'Hello World',
  'x'.repeat(12),
  'user@example.com',
  'not-an-email',
  'a@b',
  '123e4567-e89b-42d3-a456-426614174000',
  '123e4567-e89b-12d3-a456-426614174000',
  'not-a-uuid',
  '2024-01-15',
  '2024-01-15T10:20:30Z',
  '2024-02-30',
  '2024-13-45',
  'red',
  'Low',
  'fixed',
  'bad',
  'card',
  'cash',
  'a needle here',
  '1',
  0,
  -0,
  1,
  -1,
  2,
  5,
  7,
  10,
  42,
  120,
  121,
  -7,
  0.5,
  -2.5,
  3.14,
  1.005,
  1e9,
  NaN,
  Infinity,
  -Infinity,
  null,
  undefined,
  true,
  false,
  [],
  [1],
  ['a', 'b'],
  [null],
  [1, 2, 3, 4],
  {},
  { a: 1 },
  new Date(0),
];

interface Subject {
  readonly cls: new () => object;
  /** Per property, values that pass (drawn most of the time, so that many instances are valid). */
  readonly fields: Readonly<Record<string, readonly unknown[]>>;
}

const CORPUS: readonly Subject[] = [
  {
    cls: Basics,
    fields: {
      name: ['', 'Ann'],
      age: [0, 42, 120],
      score: [0, -2.5, 1e9],
      active: [true, false],
    },
  },
  {
    cls: Texts,
    fields: {
      code: ['ab', 'hello'],
      nick: ['abc', 'abcdefgh'],
      title: ['x', 0, false, []],
      nothing: ['', null, undefined],
      slug: ['abc', 'z'],
      text: ['needle', 'a needle here'],
    },
  },
  {
    cls: Formats,
    fields: {
      email: ['user@example.com', 'a.b+c@sub.example.org'],
      id: ['123e4567-e89b-42d3-a456-426614174000'],
      day: ['2024-01-15', '2024-01-15T10:20:30Z'],
      at: ['2024-01-15', '2024-01-15T10:20:30.000Z'],
    },
  },
  {
    cls: Choices,
    fields: {
      color: ['red', 'green'],
      level: [1, 2, 'Low'],
      pick: ['a', 'b', 1],
      kind: ['fixed'],
      mood: ['ok', 0, null],
      amount: [0.5, 1, 1e9],
    },
  },
  {
    cls: Collections,
    fields: {
      tags: [[1], ['a', 'b'], [null, null, null]],
      meta: [{}, { a: 1 }, []],
      list: [[], 'x', 0],
    },
  },
  {
    cls: Numbers,
    fields: {
      loose: [NaN, Infinity, -1],
      money: [1.25, 3, -0.5],
      bounded: [-5, 0, 5, 2.5],
      count: [1, 42],
      notNull: [undefined, 0, ''],
    },
  },
  {
    cls: Optionals,
    fields: {
      note: [undefined, null, 'n'],
      count: [undefined, null, 1, 5],
      required: ['', 'r'],
      maybe: [undefined, null, 0, 'm'],
      anything: [0, '', false, []],
    },
  },
  {
    cls: Conditionals,
    fields: {
      method: ['card', 'cash'],
      pin: ['1234', undefined],
      tip: [0, 1, 2.5],
      ref: ['r-1', 7],
      receipt: [undefined, null, 'user@example.com'],
    },
  },
  {
    cls: Customs,
    fields: {
      even: [0, 2, -4],
      between: [1, 5, 10],
      word: ['a', 'abba'],
      flag: [1, 'yes', true, []],
      echo: ['a', 'abba'],
    },
  },
  {
    cls: Base,
    fields: {
      name: ['ab', 'Bob'],
      level: [0, 3],
      nick: [undefined, null, 'n'],
      flag: [true, false],
    },
  },
  {
    cls: Derived,
    fields: {
      name: ['ab', 'Bob'],
      level: [-7, 2.5, 10],
      nick: [undefined, null, 'n'],
      flag: [true, false],
      contact: ['user@example.com'],
    },
  },
  { cls: AllowOnly, fields: { anything: POOL } },
  {
    cls: Grouped,
    fields: { secret: ['s'], n: [1, -7], plain: ['p'], bonus: [1, 0.5] },
  },
  { cls: NumericNames, fields: { b: ['b'], '10': [10], '2': [true] } },
  { cls: NoRules, fields: { value: POOL } },
];

/** Classes whose every instance is valid (no constraint can fail). */
const ALWAYS_VALID = new Set<unknown>([AllowOnly, NoRules]);

const INSTANCES_PER_CLASS = 320;

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function instancesOf(subject: Subject, random: () => number): object[] {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const instances: object[] = [];
  for (let i = 0; i < INSTANCES_PER_CLASS; i += 1) {
    // Half the instances are mostly valid values, the other half mostly the pool's.
    const goodRate = i % 2 === 0 ? 0.93 : 0.4;
    const event = new subject.cls() as Record<string, unknown>;
    for (const [name, good] of Object.entries(subject.fields)) {
      const roll = random();
      if (roll < 0.04) continue; // missing, not even an own property
      event[name] = random() < goodRate ? pick(good) : pick(POOL);
    }
    instances.push(event);
  }
  return instances;
}

const random = seeded(20240115);
const INSTANCES = new Map(CORPUS.map((subject) => [subject, instancesOf(subject, random)]));

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Object.is(value, -0)) return '-0';
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (value instanceof Date) return `Date(${value.getTime()})`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${key}: ${show(item)}`);
    return `{${entries.join(', ')}}`;
  }
  return String(value);
}

const describeEvent = (event: object): string => `${event.constructor.name} ${show(event)}`;

// ---------------------------------------------------------------------------------------------
// The plan as EventValidator builds it, and class-validator's own answer.
// ---------------------------------------------------------------------------------------------

function planOf(cls: unknown, options: ValidatorOptions): ValidityPlan | undefined {
  const storage = getMetadataStorage();
  const { groups, strictGroups = false, always = false } = options;
  const uses = storage.getTargetValidationMetadatas(
    cls as new () => object,
    '',
    always,
    strictGroups,
    groups,
  ) as unknown as ConstraintUse[];
  return ValidityPlan.of(uses, storage, options);
}

/** As event-validator.ts flattens class-validator's errors. */
function flatten(errors: ClassValidatorError[], prefix = ''): PropertyViolation[] {
  return errors.flatMap((error) => {
    const property = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ property, constraints: error.constraints }] : [];
    return [...own, ...flatten(error.children ?? [], property)];
  });
}

/** Property → its broken constraints' names, sorted. */
function brokenBy(errors: ClassValidatorError[]): Record<string, string[]> {
  return Object.fromEntries(
    flatten(errors).map((v) => [v.property, Object.keys(v.constraints).sort()]),
  );
}

interface Outcome {
  readonly sync: boolean;
  readonly violations: readonly PropertyViolation[];
}

/** EventValidator's answer: returned or thrown synchronously, or through a promise. */
async function outcomeOf(validator: EventValidator, event: object): Promise<Outcome> {
  const violationsOf = (error: unknown): readonly PropertyViolation[] => {
    if (error instanceof ValidationError) return error.violations;
    throw error;
  };
  let result: void | Promise<void>;
  try {
    result = validator.validate(event, event.constructor.name);
  } catch (error) {
    return { sync: true, violations: violationsOf(error) };
  }
  if (result === undefined) return { sync: true, violations: [] };
  return result.then(
    () => ({ sync: false, violations: [] }),
    (error: unknown) => ({ sync: false, violations: violationsOf(error) }),
  );
}

const OPTION_SETS: ReadonlyArray<readonly [string, ValidatorOptions]> = [
  ['default', { forbidUnknownValues: false }],
  ['skipMissingProperties', { forbidUnknownValues: false, skipMissingProperties: true }],
  ['skipNullProperties', { forbidUnknownValues: false, skipNullProperties: true }],
  ['skipUndefinedProperties', { forbidUnknownValues: false, skipUndefinedProperties: true }],
  ['always', { forbidUnknownValues: false, always: true }],
  ['stopAtFirstError', { forbidUnknownValues: false, stopAtFirstError: true }],
  ['strictGroups', { forbidUnknownValues: false, strictGroups: true }],
  ['forbidUnknownValues', { forbidUnknownValues: true }],
];

// ---------------------------------------------------------------------------------------------

describe('ValidityPlan', () => {
  describe.each(OPTION_SETS)(
    'agrees with class-validator on the corpus (%s)',
    (_label, options) => {
      it(`passes exactly the ${CORPUS.length} x ${INSTANCES_PER_CLASS} instances class-validator finds valid`, async () => {
        const mismatches: string[] = [];
        let compared = 0;
        let valid = 0;
        for (const subject of CORPUS) {
          const plan = planOf(subject.cls, options);
          if (!plan) {
            // The one class a plan does not model here: no constraints, unknown values forbidden.
            expect([subject.cls, options.forbidUnknownValues]).toEqual([NoRules, true]);
            continue;
          }
          let validOfClass = 0;
          for (const event of INSTANCES.get(subject)!) {
            const errors = await validate(event, options);
            const expected = errors.length === 0;
            const passes = plan.passes(event);
            compared += 1;
            if (expected) validOfClass += 1;
            if (passes !== expected) {
              mismatches.push(
                `${passes ? 'false accept' : 'needless fallback'}: ${describeEvent(event)} ` +
                  `class-validator: ${JSON.stringify(brokenBy(errors))}`,
              );
            }
          }
          valid += validOfClass;
          // Both sides of the equivalence are exercised for every class.
          expect([subject.cls.name, validOfClass > 0]).toEqual([subject.cls.name, true]);
          const invalidSeen = validOfClass < INSTANCES_PER_CLASS;
          expect([subject.cls.name, invalidSeen]).toEqual([
            subject.cls.name,
            !ALWAYS_VALID.has(subject.cls),
          ]);
        }
        expect(mismatches).toEqual([]);
        expect(compared).toBeGreaterThanOrEqual((CORPUS.length - 1) * INSTANCES_PER_CLASS);
        expect(valid).toBeGreaterThan(compared / 10);
      });
    },
  );

  describe('has no plan for what it does not model', () => {
    class Inner {
      @IsString() value!: string;
    }
    class WithNested {
      @IsString() id!: string;
      @ValidateNested() inner!: Inner;
    }
    class InheritsNested extends WithNested {
      @IsInt() n!: number;
    }
    class WithPromise {
      @ValidatePromise() @IsString() later!: Promise<string>;
    }
    class WithEach {
      @IsString({ each: true }) tags!: string[];
    }
    @ValidatorConstraint({ name: 'slow', async: true })
    class Slow implements ValidatorConstraintInterface {
      validate(value: unknown): Promise<boolean> {
        return Promise.resolve(value === 'free');
      }
    }
    class WithAsync {
      @IsString() @Validate(Slow) sku!: string;
    }
    class WithAsyncDecorator {
      @IsString() sku!: string;
    }
    registerDecorator({
      name: 'slowToo',
      target: WithAsyncDecorator,
      propertyName: 'sku',
      async: true,
      validator: { validate: (value: unknown) => Promise.resolve(value === 'free') },
    });
    class Plain {
      @IsString() s!: string;
    }
    class Empty {
      value = 1;
    }
    const base = { forbidUnknownValues: false };

    it.each([
      ['@ValidateNested', WithNested],
      ['an inherited @ValidateNested', InheritsNested],
      ['@ValidatePromise', WithPromise],
      ['each: true', WithEach],
      ['an async @ValidatorConstraint', WithAsync],
      ['registerDecorator({ async: true })', WithAsyncDecorator],
    ])('a class with %s', (_label, cls) => {
      expect(planOf(cls, base)).toBeUndefined();
      expect(planOf(Plain, base)).toBeInstanceOf(ValidityPlan);
    });

    it.each<[string, ValidatorOptions]>([
      ['groups', { ...base, groups: ['a'] }],
      ['whitelist', { ...base, whitelist: true }],
      ['forbidNonWhitelisted', { ...base, whitelist: true, forbidNonWhitelisted: true }],
    ])('the option %s', (_label, options) => {
      expect(planOf(Plain, options)).toBeUndefined();
    });

    it('a class without constraints unless forbidUnknownValues is false', async () => {
      expect(planOf(Empty, {})).toBeUndefined();
      expect(planOf(Empty, { forbidUnknownValues: true })).toBeUndefined();
      expect(await validate(new Empty(), { forbidUnknownValues: true })).toHaveLength(1);
      const plan = planOf(Empty, base);
      expect(plan).toBeInstanceOf(ValidityPlan);
      expect(plan!.passes(new Empty())).toBe(true);
      expect(await validate(new Empty(), base)).toEqual([]);
    });

    it('still leaves those classes to class-validator through EventValidator', async () => {
      const validator = new EventValidator();
      const events = [
        Object.assign(new WithEach(), { tags: ['a', 'b'] }),
        Object.assign(new WithEach(), { tags: ['a', 2] }),
        Object.assign(new WithNested(), {
          id: 'i',
          inner: Object.assign(new Inner(), { value: 1 }),
        }),
        Object.assign(new WithAsync(), { sku: 'free' }),
        Object.assign(new WithAsync(), { sku: 'taken' }),
        Object.assign(new WithAsync(), { sku: 3 }),
      ];
      for (const event of events) {
        const expected = flatten(await validate(event, base));
        expect((await outcomeOf(validator, event)).violations).toEqual(expected);
      }
    });
  });

  describe('falls back when a constraint declared sync answers with a promise', () => {
    @ValidatorConstraint({ name: 'eventually', async: false })
    class Eventually implements ValidatorConstraintInterface {
      validate(value: unknown): Promise<boolean> {
        return Promise.resolve(value === 'yes');
      }
    }
    class Deferred {
      @IsString() s!: string;
      @Validate(Eventually) answer!: string;
    }
    class DeferredByDecorator {
      @IsString() s!: string;
    }
    registerDecorator({
      name: 'eventuallyToo',
      target: DeferredByDecorator,
      propertyName: 'answer',
      async: false,
      validator: { validate: (value: unknown) => Promise.resolve(value === 'yes') },
    });
    class Thenable {
      @IsString() s!: string;
    }
    registerDecorator({
      name: 'thenable',
      target: Thenable,
      propertyName: 'answer',
      validator: {
        validate: (value: unknown) =>
          ({
            then: (resolve: (valid: boolean) => void) => resolve(value === 'yes'),
          }) as unknown as Promise<boolean>,
      },
    });
    const options = { forbidUnknownValues: false };

    it.each([
      ['@ValidatorConstraint({ async: false })', Deferred],
      ['registerDecorator({ async: false })', DeferredByDecorator],
      ['a thenable answer', Thenable],
    ])('%s: passes() is false, never true; class-validator decides', async (_label, cls) => {
      const plan = planOf(cls, options);
      expect(plan).toBeInstanceOf(ValidityPlan);
      const validator = new EventValidator(options);
      for (const [s, answer, valid] of [
        ['x', 'yes', true],
        ['x', 'no', false],
        [1, 'yes', false],
      ] as const) {
        const event = Object.assign(new cls(), { s, answer });
        expect(plan!.passes(event)).toBe(false);
        const errors = await validate(event, options);
        expect(errors.length === 0).toBe(valid);
        const outcome = await outcomeOf(validator, event);
        // Through a promise: class-validator got one, and awaited it.
        expect(outcome).toEqual({ sync: false, violations: flatten(errors) });
      }
    });
  });

  describe('skips constraints on a condition as class-validator does', () => {
    class Guarded {
      @IsDefined() @IsString() must!: unknown;
      @IsOptional() @IsDefined() @IsInt() opt?: unknown;
      @ValidateIf((o: Guarded) => o.must === 'check') @IsDefined() @IsPositive() when?: unknown;
      @ValidateIf(() => false) @IsDefined() never?: unknown;
      @ValidateIf((o: Guarded) => o.must === 'check')
      @ValidateIf((_o, v) => v !== 'pass')
      @IsInt()
      both?: unknown;
    }
    const none = { forbidUnknownValues: false };
    const missing = { ...none, skipMissingProperties: true };
    const nulls = { ...none, skipNullProperties: true };
    const undefs = { ...none, skipUndefinedProperties: true };
    const first = { ...none, stopAtFirstError: true };

    it.each<[Record<string, unknown>, ValidatorOptions, Record<string, string[]>]>([
      // IsDefined is checked even when the skip…Properties options skip the rest.
      [{}, none, { must: ['isDefined', 'isString'] }],
      [{}, missing, { must: ['isDefined'] }],
      [{ must: null }, missing, { must: ['isDefined'] }],
      [{ must: null }, nulls, { must: ['isDefined'] }],
      [{ must: null }, undefs, { must: ['isDefined', 'isString'] }],
      [{ must: undefined }, undefs, { must: ['isDefined'] }],
      [{}, first, { must: ['isDefined'] }],
      [{ must: 1 }, missing, { must: ['isString'] }],
      [{ must: 'x' }, missing, {}],
      // IsOptional skips IsDefined too.
      [{ must: 'x', opt: null }, none, {}],
      [{ must: 'x', opt: undefined }, none, {}],
      [{ must: 'x', opt: 1.5 }, none, { opt: ['isInt'] }],
      [{ must: 'x', opt: 2 }, none, {}],
      // ValidateIf: false skips everything (IsDefined included), true checks everything.
      [{ must: 'x', when: -1, never: null }, none, {}],
      [{ must: 'check' }, none, { when: ['isDefined', 'isPositive'], both: ['isInt'] }],
      [{ must: 'check' }, missing, { when: ['isDefined'] }],
      [{ must: 'check' }, nulls, { when: ['isDefined', 'isPositive'], both: ['isInt'] }],
      [{ must: 'check', when: null }, nulls, { when: ['isDefined'], both: ['isInt'] }],
      [{ must: 'check', when: 3, both: 'pass' }, none, {}],
      [{ must: 'check', when: 3, both: 'fail' }, none, { both: ['isInt'] }],
      [{ must: 'check', when: 3, both: 4 }, first, {}],
      [{ must: 'check', when: -3, both: 4 }, first, { when: ['isPositive'] }],
    ])('%j with %j: %j', async (values, options, broken) => {
      const event = Object.assign(new Guarded(), values);
      const errors = await validate(event, options);
      expect(brokenBy(errors)).toEqual(broken);
      expect(planOf(Guarded, options)!.passes(event)).toBe(errors.length === 0);
      expect(await outcomeOf(new EventValidator(options), event)).toEqual({
        sync: true,
        violations: flatten(errors),
      });
    });
  });
});

/** Corner cases where a first plan differed from class-validator 0.15.1 (now equivalent). */
describe('ValidityPlan, corner cases of class-validator', () => {
  const options = { forbidUnknownValues: false };

  /** class-validator groups by property in a `{}`: `grouped.toString.push` is not a function. */
  class ShadowsToString {
    @IsString() toString!: any;
  }
  const SYMBOL = Symbol('secret');
  /** class-validator visits Object.keys of its grouping: symbol-keyed properties never. */
  class SymbolKeyed {
    @IsInt() n!: number;
    @IsString() [SYMBOL]!: unknown;
  }
  class SymbolKeyedThrowing {
    @IsInt() n!: number;
  }
  registerDecorator({
    name: 'throws',
    target: SymbolKeyedThrowing,
    propertyName: SYMBOL as unknown as string,
    validator: {
      validate: () => {
        throw new Error('never called by class-validator');
      },
    },
  });
  /** A function with `then` is no promise to class-validator (isPromise wants an object). */
  class FunctionAnswer {
    @IsInt() n!: number;
  }
  registerDecorator({
    name: 'functionAnswer',
    target: FunctionAnswer,
    propertyName: 'n',
    validator: {
      validate: () => Object.assign(() => true, { then: () => undefined }) as unknown as boolean,
    },
  });

  const shadowing = Object.assign(new ShadowsToString(), { toString: 'x' });
  const symbolKeyed = Object.assign(new SymbolKeyed(), { n: 1, [SYMBOL]: 5 });
  const symbolThrowing = Object.assign(new SymbolKeyedThrowing(), { n: 1 });
  const functionAnswer = Object.assign(new FunctionAnswer(), { n: 1 });

  it("class-validator's side: it throws, ignores symbol keys, takes a function as truthy", async () => {
    expect(() => validate(shadowing, options)).toThrow(TypeError);
    expect(await validate(symbolKeyed, options)).toEqual([]);
    expect(await validate(symbolThrowing, options)).toEqual([]);
    expect(await validate(functionAnswer, options)).toEqual([]);
  });

  // The class gets no plan: class-validator's TypeError reaches the caller.
  it('a property named toString: passes() is not true while class-validator throws', () => {
    expect(planOf(ShadowsToString, options)?.passes(shadowing) ?? false).toBe(false);
  });

  it('a symbol-keyed property: passes() ignores it, as class-validator does', () => {
    expect(planOf(SymbolKeyed, options)?.passes(symbolKeyed)).toBe(true);
  });

  it('a symbol-keyed constraint that throws: EventValidator does not call it either', () => {
    expect(new EventValidator(options).validate(symbolThrowing, 'SymbolKeyedThrowing')).toBe(
      undefined,
    );
  });

  it('a function with then as the answer: passes() takes it as truthy', () => {
    expect(planOf(FunctionAnswer, options)?.passes(functionAnswer)).toBe(true);
  });
});

describe('EventValidator', () => {
  describe.each(OPTION_SETS)(
    'gives class-validator violations on the corpus (%s)',
    (_label, options) => {
      it(`for all ${CORPUS.length} x ${INSTANCES_PER_CLASS} instances, synchronously`, async () => {
        const validator = new EventValidator(options);
        const mismatches: string[] = [];
        for (const subject of CORPUS) {
          for (const event of INSTANCES.get(subject)!) {
            const expected = flatten(await validate(event, options));
            const outcome = await outcomeOf(validator, event);
            if (!outcome.sync || !isDeepStrictEqual(outcome.violations, expected)) {
              mismatches.push(
                `${describeEvent(event)}: ${JSON.stringify(outcome)} vs ${JSON.stringify(expected)}`,
              );
            }
          }
        }
        expect(mismatches).toEqual([]);
      });
    },
  );
});
