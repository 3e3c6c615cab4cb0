import { SetMetadata } from '@nestjs/common';
import type { ReliabilitySpec } from '../interfaces/reliability.interface.js';
import { RELIABILITY_METADATA } from '../kafka-producer.constants.js';

/**
 * The acks and idempotence an event class is sent with: `'fire-and-forget'` (acks 0),
 * `'leader'` (acks 1), `'all'` (acks -1, idempotent), or an explicit profile
 * `{ acks, idempotent, retries, deliveryTimeoutMs }`. Default: the module's `reliability` (`'all'`).
 */
export const Reliability = (spec: ReliabilitySpec): ClassDecorator =>
  SetMetadata<string, ReliabilitySpec>(RELIABILITY_METADATA, spec);
