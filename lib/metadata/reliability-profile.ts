import { ConfigurationError } from '../errors/configuration.error.js';
import type {
  ReliabilityOptions,
  ReliabilityProfile,
  ReliabilitySpec,
} from '../interfaces/reliability.interface.js';
import { Messages } from '../kafka-producer.messages.js';

const LEVELS: Record<string, ReliabilityOptions> = {
  'fire-and-forget': { acks: 0, idempotent: false },
  leader: { acks: 1, idempotent: false },
  all: { acks: -1, idempotent: true },
};

/** Retries of non-idempotent profiles when none are given (kafkajs's default). */
const DEFAULT_RETRIES = 5;

/**
 * Turns a reliability spec into the profile a kafkajs producer is created for.
 * Throws ConfigurationError for an unknown level or an idempotent profile without acks -1.
 */
export function resolveReliability(
  spec: ReliabilitySpec,
  defaultDeliveryTimeoutMs: number,
): ReliabilityProfile {
  const options = typeof spec === 'string' ? LEVELS[spec] : spec;
  if (!options || ![0, 1, -1].includes(options.acks)) {
    throw new ConfigurationError(Messages.invalidReliability(JSON.stringify(spec)));
  }
  const idempotent = options.idempotent ?? options.acks === -1;
  if (idempotent && options.acks !== -1) {
    throw new ConfigurationError(Messages.idempotentNeedsAcksAll);
  }
  const retries = options.retries ?? (idempotent ? Number.MAX_SAFE_INTEGER : DEFAULT_RETRIES);
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? defaultDeliveryTimeoutMs;
  return {
    acks: options.acks,
    idempotent,
    retries,
    deliveryTimeoutMs,
    // The kafkajs producer depends on acks, idempotence and retries only.
    id: `acks=${options.acks}${idempotent ? ',idempotent' : ''},retries=${retries === Number.MAX_SAFE_INTEGER ? 'max' : retries}`,
  };
}
