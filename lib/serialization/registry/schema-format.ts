import type { SchemaViolation } from '../../errors/schema-mismatch.error.js';
import type { SchemaType } from '../../interfaces/schema-registry.interface.js';

/** A value does not match its schema: every field that is wrong. */
export class SchemaViolations extends Error {
  constructor(readonly violations: readonly SchemaViolation[]) {
    super(violations.map((v) => `${v.path}: ${v.reason}`).join('; '));
  }
}

/** A schema ready to write values: loaded and compiled once per schema text. */
export interface CompiledSchema {
  /** The schema's full name, for the RecordName strategies (undefined when it has none). */
  readonly recordName?: string;
  /** Protobuf only: the path of the message type in its file. */
  readonly messageIndexes?: readonly number[];
  /** The value's bytes (what follows the schema id); throws SchemaViolations when it does not match. */
  encode(value: unknown): Buffer;
  /**
   * `prefix` followed by the value's bytes, in one buffer (what `encode` and a copy give, with
   * fewer allocations). Optional: without it the serializer copies `encode`'s bytes after the prefix.
   */
  encodeAfter?(prefix: Buffer, value: unknown): Buffer;
}

/** One schema language: how a schema given in code becomes registry text, and how text is compiled. */
export interface SchemaFormat {
  /** The serializer's name, in errors: `avro`, `protobuf`, `jsonSchema`. */
  readonly serializer: string;
  readonly schemaType: SchemaType;
  /** The text to register for a schema given in code. Throws ConfigurationError for a wrong one. */
  text(schema: unknown): string;
  /** Loads the library (an optional peer) and compiles; ConfigurationError when it cannot. */
  compile(text: string): CompiledSchema;
}

/** `lines[2].sku` from `['lines', 2, 'sku']`; `(root)` for the value itself. */
export function fieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  }
  return out || '(root)';
}
