import type { ValidatorOptions } from 'class-validator';

/** The parts of class-validator's ValidationMetadata a plan reads. */
export interface ConstraintUse {
  readonly type: string;
  readonly propertyName: string;
  readonly constraintCls: unknown;
  readonly constraints: unknown[];
  readonly each?: boolean;
  readonly validateIf?: (object: object, value: unknown) => boolean;
}

/** The parts of class-validator's ConstraintMetadata a plan reads. */
export interface ConstraintImpl {
  readonly async: boolean;
  readonly instance: { validate(value: unknown, args: unknown): unknown };
}

/** What a plan needs from class-validator's metadata storage. */
export interface ConstraintSource {
  getTargetValidatorConstraints(target: unknown): readonly ConstraintImpl[];
}

/** One property's checks, in class-validator's order. */
interface PropertyPlan {
  readonly name: string;
  /** `@ValidateIf` / `@IsOptional`: the property is checked only if every one says so. */
  readonly conditions: readonly ConstraintUse[];
  /** `@IsDefined`: checked even when the skip…Properties options skip the rest. */
  readonly defined: readonly Check[];
  readonly custom: readonly Check[];
}

interface Check {
  readonly use: ConstraintUse;
  readonly impls: readonly ConstraintImpl[];
}

/** Metadata types a plan can check; any other (nested, promise) makes a class unplannable. */
const CUSTOM = 'customValidation';
const DEFINED = 'isDefined';
const CONDITIONAL = 'conditionalValidation';
const WHITELIST = 'whitelistValidation';

/** class-validator's own test (a thenable function is a plain truthy answer to it). */
const isPromise = (value: unknown): boolean =>
  value !== null &&
  typeof value === 'object' &&
  typeof (value as { then?: unknown }).then === 'function';

/**
 * Whether an event passes class-validator, decided without class-validator's per-call
 * machinery (an executor, an error object per property, filters and closures): each
 * class's constraints are resolved once into a plan, which calls the same constraint
 * implementations with the same arguments, in the same order, and answers only `true`
 * (every constraint passed) or `false` (one failed, or answered with a promise). On
 * `false` the caller runs class-validator itself, which then builds the exact errors (or
 * awaits the async answer): the plan never decides that an event is invalid.
 *
 * Constraints are assumed to be pure, as class-validator's own are: for an invalid event,
 * those the plan ran before the failing one run again inside class-validator.
 *
 * A class gets no plan (class-validator every time) when it uses what a plan does not
 * model: nested or promise validation, `each`, async constraints, or the options
 * `groups`, `whitelist` / `forbidNonWhitelisted`, or `forbidUnknownValues` with a class
 * that has no constraints.
 */
export class ValidityPlan {
  private constructor(
    private readonly properties: readonly PropertyPlan[],
    private readonly options: ValidatorOptions,
  ) {}

  /**
   * The plan for a class whose constraints (own and inherited, as class-validator lists
   * them for these options) are `uses`; undefined when the class must go to class-validator.
   */
  static of(
    uses: readonly ConstraintUse[],
    source: ConstraintSource,
    options: ValidatorOptions,
  ): ValidityPlan | undefined {
    if (options.groups?.length || options.whitelist || options.forbidNonWhitelisted) return;
    if (uses.length === 0 && options.forbidUnknownValues !== false) return;
    const byName = new Map<string, ConstraintUse[]>();
    for (const use of uses) {
      // class-validator walks the string keys of a plain object of groups: symbol-named
      // properties are never checked, and a name Object.prototype has breaks it (leave it
      // to class-validator, which throws).
      if (typeof use.propertyName !== 'string') continue;
      if (use.propertyName in Object.prototype) return;
      const list = byName.get(use.propertyName);
      if (list) list.push(use);
      else byName.set(use.propertyName, [use]);
    }
    const properties: PropertyPlan[] = [];
    for (const [name, list] of byName) {
      const conditions: ConstraintUse[] = [];
      const defined: Check[] = [];
      const custom: Check[] = [];
      for (const use of list) {
        if (use.type === WHITELIST) continue;
        if (use.type === CONDITIONAL) {
          conditions.push(use);
          continue;
        }
        if ((use.type !== CUSTOM && use.type !== DEFINED) || use.each) return;
        const impls = source.getTargetValidatorConstraints(use.constraintCls);
        if (impls.some((impl) => impl.async)) return;
        (use.type === DEFINED ? defined : custom).push({ use, impls });
      }
      properties.push({ name, conditions, defined, custom });
    }
    return new ValidityPlan(properties, options);
  }

  /** True when every constraint passes; false when one fails or cannot answer at once. */
  passes(event: object): boolean {
    const { skipUndefinedProperties, skipNullProperties, skipMissingProperties } = this.options;
    const targetName = event.constructor ? event.constructor.name : undefined;
    for (const property of this.properties) {
      const value = (event as Record<string, unknown>)[property.name];
      let checked = true;
      for (const condition of property.conditions) {
        const fn = condition.constraints[0] as (object: object, value: unknown) => unknown;
        if (!fn(event, value)) checked = false;
      }
      if (!checked) continue;
      if (!this.run(property.defined, event, value, targetName, property.name)) return false;
      if (value === undefined && skipUndefinedProperties === true) continue;
      if (value === null && skipNullProperties === true) continue;
      if ((value === null || value === undefined) && skipMissingProperties === true) continue;
      if (!this.run(property.custom, event, value, targetName, property.name)) return false;
    }
    return true;
  }

  private run(
    checks: readonly Check[],
    object: object,
    value: unknown,
    targetName: string | undefined,
    property: string,
  ): boolean {
    for (const { use, impls } of checks) {
      if (use.validateIf && !use.validateIf(object, value)) continue;
      const args = { targetName, property, object, value, constraints: use.constraints };
      for (const impl of impls) {
        const valid = impl.instance.validate(value, args);
        if (!valid || isPromise(valid)) return false;
      }
    }
    return true;
  }
}
