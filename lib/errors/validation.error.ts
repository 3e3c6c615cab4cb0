import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/** One property that failed validation, with every constraint it broke. */
export interface PropertyViolation {
  /** Dotted path of the property (`address.city` for nested objects). */
  readonly property: string;
  /** Constraint name → message, as class-validator gives them. */
  readonly constraints: Readonly<Record<string, string>>;
}

/** The event failed class-validator validation. Nothing was sent. */
export class ValidationError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly eventClass: string,
    readonly violations: readonly PropertyViolation[],
  ) {
    super(
      Messages.validation(
        eventClass,
        violations
          .map((v) => `${v.property} (${Object.values(v.constraints).join('; ')})`)
          .join(', '),
      ),
    );
  }
}
