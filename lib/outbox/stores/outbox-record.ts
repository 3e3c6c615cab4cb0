import type { ClaimOptions, OutboxRecord, OutboxStatus } from './outbox-store.interface.js';
import { OutboxStoreMessages } from './outbox-store.messages.js';

/** The statuses of rows that still have to be published (and hold back their key). */
export const UNFINISHED_STATUSES: readonly OutboxStatus[] = ['PENDING', 'PROCESSING', 'FAILED'];

/** Whether a row in this status still has to be published. */
export function isUnfinished(status: OutboxStatus): boolean {
  return status === 'PENDING' || status === 'PROCESSING' || status === 'FAILED';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` has the textual form of a UUID (any version). */
export function isUuid(id: unknown): id is string {
  return typeof id === 'string' && UUID.test(id);
}

/**
 * The stored form of an event id: lower case, as PostgreSQL's uuid type prints it, so that
 * every store hands back the same string.
 */
export function normalizeId(id: string): string {
  return id.toLowerCase();
}

function isBytes(value: unknown): value is Buffer {
  return Buffer.isBuffer(value);
}

/**
 * Checks what `add()` is given, the same way in every store, so that a record the
 * PostgreSQL store would reject is rejected by the memory store too. Throws a TypeError
 * naming the record and the field.
 */
export function assertOutboxRecords(records: readonly OutboxRecord[]): void {
  if (!Array.isArray(records)) {
    throw new TypeError('outbox add() takes an array of records');
  }
  const seen = new Set<string>();
  records.forEach((record: OutboxRecord, index) => {
    const fail = (reason: string): never => {
      throw new TypeError(OutboxStoreMessages.invalidRecord(index, reason));
    };
    if (typeof record !== 'object' || record === null) fail('not an object');
    if (!isUuid(record.id)) fail(`id ${JSON.stringify(record.id)} is not a UUID`);
    const id = normalizeId(record.id);
    if (seen.has(id)) fail(`id ${id} appears twice in one add()`);
    seen.add(id);
    if (typeof record.topic !== 'string' || record.topic.length === 0) {
      fail('topic must be a non-empty string');
    }
    if (record.key !== null && !isBytes(record.key)) fail('key must be a Buffer or null');
    if (record.value !== null && !isBytes(record.value)) fail('value must be a Buffer or null');
    if (
      record.partition !== null &&
      !(
        Number.isSafeInteger(record.partition) &&
        record.partition >= 0 &&
        record.partition < 2 ** 31
      )
    ) {
      fail('partition must be an integer >= 0 or null');
    }
    if (!Number.isSafeInteger(record.timestamp)) fail('timestamp must be an integer (ms)');
    if (typeof record.headers !== 'object' || record.headers === null) {
      fail('headers must be an object of Buffers');
    }
    for (const [name, value] of Object.entries(record.headers)) {
      if (!isBytes(value)) fail(`header ${JSON.stringify(name)} must be a Buffer`);
    }
  });
}

/** Checks `claim()`'s options; throws a TypeError. */
export function assertClaimOptions(options: ClaimOptions): void {
  const fail = (reason: string): never => {
    throw new TypeError(OutboxStoreMessages.invalidClaim(reason));
  };
  if (typeof options?.owner !== 'string' || options.owner.length === 0) {
    fail('owner must be a non-empty string');
  }
  if (!Number.isSafeInteger(options.limit) || options.limit < 0) {
    fail('limit must be an integer >= 0');
  }
  if (!Number.isSafeInteger(options.leaseMs) || options.leaseMs <= 0) {
    fail('leaseMs must be an integer > 0');
  }
}

/** Headers as stored (JSON object, base64 values): PostgreSQL jsonb and SQLite text. */
export function encodeHeaders(headers: Record<string, Buffer>): Record<string, string> {
  const encoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) encoded[name] = value.toString('base64');
  return encoded;
}

/** The inverse of {@link encodeHeaders}. */
export function decodeHeaders(encoded: Record<string, string> | null): Record<string, Buffer> {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(encoded ?? {})) {
    headers[name] = Buffer.from(value, 'base64');
  }
  return headers;
}

/** A copy of a Buffer (or null), so that callers and the store never share bytes. */
export function copyBytes(value: Buffer | null): Buffer | null {
  return value === null ? null : Buffer.from(value);
}

/** A copy of headers. */
export function copyHeaders(headers: Record<string, Buffer>): Record<string, Buffer> {
  const copy: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers)) copy[name] = Buffer.from(value);
  return copy;
}
