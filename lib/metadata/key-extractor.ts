import { ConfigurationError } from '../errors/configuration.error.js';
import { KeyDerivationError } from '../errors/key-derivation.error.js';
import type { EventKey, KeyedBySpec } from '../decorators/keyed-by.decorator.js';
import { Messages } from '../kafka-producer.messages.js';

/** Derives the key of one event; throws KeyDerivationError when it cannot. */
export type KeyExtractor = (event: object) => EventKey;

function field(cls: string, name: string): KeyExtractor {
  return (event) => {
    const value = (event as Record<string, unknown>)[name];
    if (value === null || value === undefined) {
      throw new KeyDerivationError(cls, Messages.keyMissing(cls, name));
    }
    return value as EventKey;
  };
}

/** Compiles a `@KeyedBy` spec once per class into a function of the event. */
export function compileKeyExtractor(cls: string, spec: KeyedBySpec): KeyExtractor {
  if (typeof spec === 'string' && spec.length > 0) return field(cls, spec);
  if (Array.isArray(spec) && spec.length > 0 && spec.every((f) => typeof f === 'string')) {
    const parts = spec.map((name) => field(cls, name));
    return (event) => parts.map((part) => String(part(event))).join(':');
  }
  if (typeof spec === 'function') {
    return (event) => {
      let value: unknown;
      try {
        value = spec(event);
      } catch (error) {
        const reason = `threw: ${error instanceof Error ? error.message : String(error)}`;
        throw new KeyDerivationError(cls, Messages.keyFunction(cls, reason), error);
      }
      if (value === null || value === undefined) {
        throw new KeyDerivationError(cls, Messages.keyFunction(cls, `returned ${value}`));
      }
      return value as EventKey;
    };
  }
  throw new ConfigurationError(Messages.invalidKeyedBy);
}
