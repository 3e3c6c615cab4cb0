import type { SchemaViolation } from '../../errors/schema-mismatch.error.js';
import { describeValue } from '../describe-value.js';

/** The part of protobufjs's reflection (`Type`, `Field`, `Enum`, `OneOf`) the check reads. */
export interface PbField {
  readonly name: string;
  readonly type: string;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly keyType?: string;
  readonly required: boolean;
  readonly resolvedType: PbType | PbEnum | null;
}
export interface PbEnum {
  readonly values: Readonly<Record<string, number>>;
}
export interface PbType {
  readonly fullName: string;
  readonly fieldsArray: readonly PbField[];
  readonly oneofsArray: readonly {
    readonly name: string;
    readonly fieldsArray: readonly PbField[];
  }[];
}

const isLong = (v: unknown) =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { low?: unknown }).low === 'number' &&
  typeof (v as { high?: unknown }).high === 'number';

const int64 = (v: unknown, unsigned: boolean) =>
  (typeof v === 'number' && Number.isSafeInteger(v) && (!unsigned || v >= 0)) ||
  (typeof v === 'bigint' && (!unsigned || v >= 0n)) ||
  (typeof v === 'string' && (unsigned ? /^\d+$/ : /^-?\d+$/).test(v)) ||
  isLong(v);

/** Scalar types: whether a JavaScript value is one protobufjs writes faithfully, and its name. */
const SCALARS: Readonly<Record<string, [(v: unknown) => boolean, string]>> = {
  double: [(v) => typeof v === 'number', 'a number'],
  float: [(v) => typeof v === 'number', 'a number'],
  int32: [
    (v) => Number.isInteger(v) && (v as number) >= -0x80000000 && (v as number) <= 0x7fffffff,
    'a 32-bit integer',
  ],
  sint32: [
    (v) => Number.isInteger(v) && (v as number) >= -0x80000000 && (v as number) <= 0x7fffffff,
    'a 32-bit integer',
  ],
  sfixed32: [
    (v) => Number.isInteger(v) && (v as number) >= -0x80000000 && (v as number) <= 0x7fffffff,
    'a 32-bit integer',
  ],
  uint32: [
    (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff,
    'an unsigned 32-bit integer',
  ],
  fixed32: [
    (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff,
    'an unsigned 32-bit integer',
  ],
  int64: [(v) => int64(v, false), 'a 64-bit integer (safe number, bigint or decimal string)'],
  sint64: [(v) => int64(v, false), 'a 64-bit integer (safe number, bigint or decimal string)'],
  sfixed64: [(v) => int64(v, false), 'a 64-bit integer (safe number, bigint or decimal string)'],
  uint64: [(v) => int64(v, true), 'an unsigned 64-bit integer'],
  fixed64: [(v) => int64(v, true), 'an unsigned 64-bit integer'],
  bool: [(v) => typeof v === 'boolean', 'a boolean'],
  string: [(v) => typeof v === 'string', 'a string'],
  bytes: [
    (v) => v instanceof Uint8Array || typeof v === 'string',
    'bytes (a Buffer, a Uint8Array or base64 text)',
  ],
};

const MAP_KEYS: Readonly<Record<string, RegExp>> = {
  bool: /^(true|false)$/,
  string: /^/,
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function checkOne(field: PbField, value: unknown, path: string, out: SchemaViolation[]): void {
  const resolved = field.resolvedType;
  if (resolved && 'fieldsArray' in resolved) {
    if (!isRecord(value))
      out.push({
        path,
        reason: `expected a ${resolved.fullName.slice(1)} message, got ${describeValue(value)}`,
      });
    else verifyMessage(resolved, value, path, out);
    return;
  }
  if (resolved && 'values' in resolved) {
    const ok =
      (typeof value === 'string' && Object.hasOwn(resolved.values, value)) ||
      (typeof value === 'number' && Object.values(resolved.values).includes(value));
    if (!ok)
      out.push({
        path,
        reason: `expected one of ${Object.keys(resolved.values).join(', ')}, got ${describeValue(value)}`,
      });
    return;
  }
  const scalar = SCALARS[field.type];
  if (scalar && !scalar[0](value))
    out.push({ path, reason: `expected ${scalar[1]}, got ${describeValue(value)}` });
}

/**
 * Every field of `value` that the message type does not accept, with its path: wrong scalar
 * types and ranges, unknown enum values, non-arrays for repeated fields, nested messages,
 * map keys and values, required fields (proto2), two members of one oneof. protobufjs's own
 * `verify` stops at the first problem; this lists them all. Properties the type does not
 * declare are ignored (an event class may carry more than its schema).
 */
export function verifyMessage(
  type: PbType,
  value: Record<string, unknown>,
  prefix: string,
  out: SchemaViolation[],
): void {
  const at = (name: string) => (prefix ? `${prefix}.${name}` : name);
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    const path = at(field.name);
    if (v === undefined || v === null) {
      if (field.required) out.push({ path, reason: 'is required' });
      continue;
    }
    if (field.map) {
      if (!isRecord(v)) {
        out.push({ path, reason: `expected a map (an object), got ${describeValue(v)}` });
        continue;
      }
      const keyPattern =
        MAP_KEYS[field.keyType ?? 'string'] ??
        (field.keyType?.startsWith('u') || field.keyType?.startsWith('fixed')
          ? /^\d+$/
          : /^-?\d+$/);
      for (const key of Object.keys(v)) {
        if (!keyPattern.test(key))
          out.push({ path: `${path}.${key}`, reason: `the key is not a ${field.keyType}` });
        else if (v[key] !== undefined && v[key] !== null)
          checkOne(field, v[key], `${path}.${key}`, out);
      }
    } else if (field.repeated) {
      if (!Array.isArray(v)) {
        out.push({ path, reason: `expected an array, got ${describeValue(v)}` });
        continue;
      }
      v.forEach((item, i) => checkOne(field, item, `${path}[${i}]`, out));
    } else {
      checkOne(field, v, path, out);
    }
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter(
      (f) => value[f.name] !== undefined && value[f.name] !== null,
    );
    if (set.length > 1)
      out.push({
        path: at(oneof.name),
        reason: `sets ${set.map((f) => f.name).join(' and ')}, but a oneof takes one`,
      });
  }
}
