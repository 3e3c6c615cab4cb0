import {
  validate,
  type ValidationError as ClassValidatorError,
  type ValidatorOptions,
} from 'class-validator';
import { ValidationError, type PropertyViolation } from '../errors/validation.error.js';

function flatten(errors: ClassValidatorError[], prefix = ''): PropertyViolation[] {
  return errors.flatMap((error) => {
    const property = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ property, constraints: error.constraints }] : [];
    return [...own, ...flatten(error.children ?? [], property)];
  });
}

/** Runs class-validator on an event and throws a ValidationError listing every violation. */
export class EventValidator {
  private readonly options: ValidatorOptions;

  /** `forbidUnknownValues` is off unless asked for: an event class without constraints is valid. */
  constructor(options: ValidatorOptions = {}) {
    this.options = { forbidUnknownValues: false, ...options };
  }

  async validate(event: object, className: string): Promise<void> {
    const errors = await validate(event, this.options);
    if (errors.length > 0) throw new ValidationError(className, flatten(errors));
  }
}
