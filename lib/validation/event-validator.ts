import { createRequire } from 'node:module';
import {
  getMetadataStorage,
  validate,
  Validator,
  type ValidationError as ClassValidatorError,
  type ValidatorOptions,
} from 'class-validator';
import { ValidationError, type PropertyViolation } from '../errors/validation.error.js';
import { ValidityPlan, type ConstraintUse } from './validity-plan.js';

function flatten(errors: ClassValidatorError[], prefix = ''): PropertyViolation[] {
  return errors.flatMap((error) => {
    const property = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ property, constraints: error.constraints }] : [];
    return [...own, ...flatten(error.children ?? [], property)];
  });
}

/** class-validator's engine, as its own `validate()` drives it (not in its public exports). */
interface Executor {
  readonly awaitingPromises: Promise<unknown>[];
  metadataStorage: unknown;
  execute(object: object, schema: string | undefined, errors: ClassValidatorError[]): void;
  stripEmptyErrors(errors: ClassValidatorError[]): ClassValidatorError[];
}
type ExecutorClass = new (validator: Validator, options: ValidatorOptions) => Executor;

/** The class-validator lines whose internals the fast path was read from and is tested on. */
const EXECUTOR_VERSIONS = /^0\.1[45]\./;

function loadExecutor(): ExecutorClass | undefined {
  try {
    const require = createRequire(import.meta.url);
    const { version } = require('class-validator/package.json') as { version?: string };
    if (!EXECUTOR_VERSIONS.test(version ?? '')) return undefined;
    const module = require('class-validator/cjs/validation/ValidationExecutor.js') as {
      ValidationExecutor?: ExecutorClass;
    };
    return typeof module.ValidationExecutor === 'function' ? module.ValidationExecutor : undefined;
  } catch {
    return undefined;
  }
}

const Executor = loadExecutor();

type Storage = ReturnType<typeof getMetadataStorage>;
type MetadataLookup = Storage['getTargetValidationMetadatas'];
type Metadatas = ReturnType<MetadataLookup>;

/** Bumped whenever a constraint is registered anywhere, which makes every cached lookup stale. */
const VERSION = Symbol.for('nestjs-kafka-producer.validationMetadataVersion');

interface VersionedStorage {
  [VERSION]?: number;
}

/** Counts registrations on class-validator's (global) metadata storage; once per storage. */
function versioned(storage: Storage): Storage & VersionedStorage {
  const counted = storage as Storage & VersionedStorage;
  if (counted[VERSION] === undefined) {
    counted[VERSION] = 0;
    const add = storage.addValidationMetadata.bind(storage);
    storage.addValidationMetadata = (metadata) => {
      counted[VERSION]! += 1;
      add(metadata);
    };
    const addConstraint = storage.addConstraintMetadata.bind(storage);
    storage.addConstraintMetadata = (metadata) => {
      counted[VERSION]! += 1;
      addConstraint(metadata);
    };
  }
  return counted;
}

/**
 * class-validator's metadata storage, with each class's constraints looked up once: on
 * every call, class-validator otherwise walks every class that has constraints (to find
 * the inherited ones) and groups the result by property. Registering any constraint later
 * (a class defined later, `registerDecorator`) empties the cache.
 */
function cachedStorage(): Storage & VersionedStorage {
  const storage = versioned(getMetadataStorage());
  const view = Object.create(storage) as Storage;
  const lookups = new WeakMap<object, { version: number; metadatas: Metadatas }>();
  const grouped = new WeakMap<Metadatas, ReturnType<Storage['groupByPropertyName']>>();
  view.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if (typeof target !== 'function' || schema) {
      return storage.getTargetValidationMetadatas(target, schema, always, strictGroups, groups);
    }
    const version = storage[VERSION]!;
    const hit = lookups.get(target);
    if (hit && hit.version === version) return hit.metadatas;
    const metadatas = storage.getTargetValidationMetadatas(
      target,
      schema,
      always,
      strictGroups,
      groups,
    );
    lookups.set(target, { version, metadatas });
    return metadatas;
  };
  view.groupByPropertyName = (metadatas) => {
    let byProperty = grouped.get(metadatas);
    if (!byProperty) grouped.set(metadatas, (byProperty = storage.groupByPropertyName(metadatas)));
    return byProperty;
  };
  return view;
}

/**
 * Runs class-validator on an event and throws a ValidationError listing every violation.
 *
 * class-validator's `validate()` always answers with a promise, even when every constraint
 * is synchronous (nearly always). This runs its engine the way `validate()` does, and
 * answers synchronously when no constraint returned a promise: a `send()` then needs no
 * extra turn of the event loop. Async constraints (and `@ValidatePromise`) are awaited as
 * `validate()` would. On a class-validator other than 0.14 or 0.15, or if its engine is not
 * where those keep it, `validate()` itself is used. Each class's constraints are looked up once (see
 * `cachedStorage`), not on every call, and a valid event of a class a ValidityPlan can
 * model is passed without class-validator's per-call machinery (an invalid one always
 * gets class-validator's own errors).
 */
export class EventValidator {
  private readonly options: ValidatorOptions;
  private readonly validator = new Validator();
  /** Per validator: the cached lookups depend on its options (groups, always, strictGroups). */
  private readonly storage = cachedStorage();
  /** Per class: its ValidityPlan (null: none possible), and the storage version it is for. */
  private readonly plans = new WeakMap<object, { version: number; plan: ValidityPlan | null }>();

  /** `forbidUnknownValues` is off unless asked for: an event class without constraints is valid. */
  constructor(options: ValidatorOptions = {}) {
    this.options = { forbidUnknownValues: false, ...options };
  }

  /** Returns once valid (synchronously if it could tell), or throws / rejects. */
  validate(event: object, className: string): void | Promise<void> {
    if (this.planFor(event.constructor)?.passes(event)) return;
    if (!Executor) {
      return validate(event, this.options).then((errors) => this.check(errors, className));
    }
    const executor = new Executor(this.validator, this.options);
    executor.metadataStorage = this.storage;
    const errors: ClassValidatorError[] = [];
    executor.execute(event, undefined, errors);
    if (executor.awaitingPromises.length === 0) {
      return this.check(executor.stripEmptyErrors(errors), className);
    }
    return Promise.all(executor.awaitingPromises).then(() =>
      this.check(executor.stripEmptyErrors(errors), className),
    );
  }

  /** The class's ValidityPlan, built once per class (again after new constraints appear). */
  private planFor(target: unknown): ValidityPlan | null {
    if (typeof target !== 'function') return null;
    const version = this.storage[VERSION]!;
    const hit = this.plans.get(target);
    if (hit && hit.version === version) return hit.plan;
    const { groups, strictGroups = false, always = false } = this.options;
    const uses = this.storage.getTargetValidationMetadatas(
      target,
      '',
      always,
      strictGroups,
      groups,
    ) as unknown as ConstraintUse[];
    const plan = ValidityPlan.of(uses, this.storage, this.options) ?? null;
    this.plans.set(target, { version, plan });
    return plan;
  }

  private check(errors: ClassValidatorError[], className: string): void {
    if (errors.length > 0) throw new ValidationError(className, flatten(errors));
  }
}
