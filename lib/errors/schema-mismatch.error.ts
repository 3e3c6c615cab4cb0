import { SerializationError, type RecordPart } from './serialization.error.js';

/** One field of an event that its schema does not accept. */
export interface SchemaViolation {
  /** Dotted path of the field (`address.city`, `lines[2].sku`); `(root)` for the value itself. */
  readonly path: string;
  /** Why: what the schema expects and what the field holds. */
  readonly reason: string;
}

/**
 * The key or value does not match its schema (Avro, Protobuf or JSON Schema): checked before
 * any byte is sent. A `SerializationError`, with every field that is wrong in `violations`.
 */
export class SchemaMismatchError extends SerializationError {
  constructor(
    serializer: string,
    part: RecordPart,
    readonly violations: readonly SchemaViolation[],
  ) {
    super(
      serializer,
      part,
      `it does not match the schema: ${violations.map((v) => `${v.path}: ${v.reason}`).join('; ')}`,
    );
  }
}
