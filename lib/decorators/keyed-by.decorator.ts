import { SetMetadata } from '@nestjs/common';
import { KEYED_BY_METADATA } from '../kafka-producer.constants.js';

/** A key value as an event gives it. */
export type EventKey = string | number | bigint | Buffer;

/**
 * How an event's key is derived: one field, several fields (their values joined with
 * `':'`, in the order given), or a function of the event.
 */
export type KeyedBySpec<T = any> = string | readonly string[] | ((event: T) => EventKey);

/**
 * Gives an event class a record key. Without it, records are keyless (sticky partitioning).
 * A null or undefined key value fails the send with `KeyDerivationError`.
 *
 * @example `@KeyedBy('orderId')`, `@KeyedBy(['tenantId', 'orderId'])`, `@KeyedBy((e: OrderCreated) => e.id)`
 */
export const KeyedBy = <T = any>(spec: KeyedBySpec<T>): ClassDecorator =>
  SetMetadata<string, KeyedBySpec<T>>(KEYED_BY_METADATA, spec);
