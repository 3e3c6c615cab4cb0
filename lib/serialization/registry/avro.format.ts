import { ConfigurationError } from '../../errors/configuration.error.js';
import type { SchemaViolation } from '../../errors/schema-mismatch.error.js';
import { describeValue } from '../describe-value.js';
import { AVSC, loadPeer, type PeerRequire } from './peer-loader.js';
import { RegistryMessages } from './registry.messages.js';
import {
  fieldPath,
  SchemaViolations,
  type CompiledSchema,
  type SchemaFormat,
} from './schema-format.js';

/** The part of avsc's `Type` this format uses. */
interface AvscType {
  readonly name?: string;
  readonly typeName: string;
  readonly types?: readonly AvscType[];
  readonly symbols?: readonly string[];
  toBuffer(value: unknown): Buffer;
  /** Writes `value` into `buffer` from `offset`: the end offset, or (negative) the bytes missing. */
  encode(value: unknown, buffer: Buffer, offset: number): number;
  isValid(
    value: unknown,
    options: { errorHook: (path: (string | number)[], value: unknown, type: AvscType) => void },
  ): boolean;
}

interface Avsc {
  Type: { forSchema(schema: unknown): AvscType };
}

const EMPTY = Buffer.alloc(0);

/** What an Avro type expects, in words: `string`, `record shop.Address`, `one of null | string`. */
function expected(type: AvscType): string {
  if (type.types) return `one of ${type.types.map(expected).join(' | ')}`;
  if (type.symbols) return `one of the symbols ${type.symbols.join(', ')}`;
  return type.name ? `${type.typeName} ${type.name}` : type.typeName;
}

function violationsOf(type: AvscType, value: unknown, error: unknown): SchemaViolation[] {
  const found: SchemaViolation[] = [];
  type.isValid(value, {
    errorHook: (path, got, at) => {
      const reason =
        got === undefined
          ? `is missing (expected ${expected(at)})`
          : `expected ${expected(at)}, got ${describeValue(got)}`;
      found.push({
        path: fieldPath(path.map((p) => (/^\d+$/.test(String(p)) ? Number(p) : p))),
        reason,
      });
    },
  });
  if (found.length === 0) {
    found.push({ path: '(root)', reason: error instanceof Error ? error.message : String(error) });
  }
  return found;
}

/**
 * Avro with avsc: schemas as objects (`{ type: 'record', … }`) or their JSON text, or a
 * primitive's name (`'string'`); values written in Avro's binary encoding. avsc checks the
 * value as it writes; on a mismatch every wrong field is listed (`isValid`'s error hook).
 */
export function avroFormat(load?: PeerRequire): SchemaFormat {
  return {
    serializer: 'avro',
    schemaType: 'AVRO',
    text(schema) {
      if (typeof schema === 'string') {
        const trimmed = schema.trim();
        if (/^[A-Za-z_][\w.]*$/.test(trimmed)) return JSON.stringify(trimmed);
        return trimmed;
      }
      if (schema && typeof schema === 'object') return JSON.stringify(schema);
      throw new ConfigurationError(
        RegistryMessages.badSchema(
          'avro',
          `expected an Avro schema object or its JSON text, got ${describeValue(schema)}`,
        ),
      );
    },
    compile(text): CompiledSchema {
      const avsc = loadPeer<Avsc>('avro', AVSC, AVSC.name, load);
      let type: AvscType;
      try {
        type = avsc.Type.forSchema(JSON.parse(text));
      } catch (error) {
        throw new ConfigurationError(
          RegistryMessages.badSchema(
            'avro',
            error instanceof Error ? error.message : String(error),
          ),
        );
      }
      // One scratch buffer per compiled schema: the value is written after the prefix, then
      // the used bytes are copied out once.
      let scratch = Buffer.allocUnsafe(1024);
      const encodeAfter = (prefix: Buffer, value: unknown): Buffer => {
        try {
          let end = type.encode(value, scratch, prefix.length);
          if (end < 0) {
            scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end + 1024));
            end = type.encode(value, scratch, prefix.length);
          }
          prefix.copy(scratch, 0);
          const out = Buffer.allocUnsafe(end);
          scratch.copy(out, 0, 0, end);
          return out;
        } catch (error) {
          throw new SchemaViolations(violationsOf(type, value, error));
        }
      };
      return {
        recordName: type.name,
        encode: (value) => encodeAfter(EMPTY, value),
        encodeAfter,
      };
    },
  };
}
