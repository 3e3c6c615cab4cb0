import type {
  ProtobufSerializerOptions,
  SchemaSerializerOptions,
} from '../../interfaces/schema-registry.interface.js';
import { avroFormat } from './avro.format.js';
import { jsonSchemaFormat } from './json-schema.format.js';
import { protobufFormat } from './protobuf.format.js';
import type { SchemaFormat } from './schema-format.js';
import { SchemaSerializer } from './schema-serializer.js';

/** An Avro schema: an object (`{ type: 'record', name, fields }`), its JSON text, or a primitive's name. */
export type AvroSchema = object | string;
/** A JSON Schema document, or its text. */
export type JsonSchema = object | string;

function create(
  format: SchemaFormat,
  schema: unknown,
  options: SchemaSerializerOptions,
): SchemaSerializer {
  const settings = {
    subjectNameStrategy: options.subjectNameStrategy ?? 'TopicName',
    autoRegister: options.autoRegister ?? true,
    useLatestVersion: options.useLatestVersion ?? false,
    schemaIdLocation: options.schemaIdLocation ?? 'payload',
  };
  const text = schema === undefined ? undefined : format.text(schema);
  return new SchemaSerializer(format, text, settings, options.registry);
}

/** `(options)` alone, as `avro({ useLatestVersion: true })`: an object that is no schema. */
function optionsOnly(schema: unknown, options: unknown): boolean {
  return (
    options === undefined &&
    typeof schema === 'object' &&
    schema !== null &&
    (schema as SchemaSerializerOptions).useLatestVersion === true &&
    !('type' in schema) &&
    !('$schema' in schema)
  );
}

/**
 * An Avro serializer over a schema registry, writing the Confluent wire format: magic byte
 * 0, the schema id (4 bytes big-endian), the Avro binary. The value is checked against the
 * schema first (a `SchemaMismatchError` lists each wrong field). Needs the optional package
 * `avsc`. Options: `subjectNameStrategy` (default `'TopicName'`), `autoRegister` (default
 * true), `useLatestVersion` (default false: then `avro({ useLatestVersion: true })` takes
 * the subject's latest schema), `schemaIdLocation` (default `'payload'`), `registry`
 * (default: the module's `schemaRegistry`).
 *
 * @example `@KafkaEvent('orders', { serializer: avro({ type: 'record', name: 'Order', fields: [...] }) })`
 */
export function avro(schema: AvroSchema, options?: SchemaSerializerOptions): SchemaSerializer;
export function avro(
  options: SchemaSerializerOptions & { useLatestVersion: true },
): SchemaSerializer;
export function avro(schema: unknown, options?: SchemaSerializerOptions): SchemaSerializer {
  if (optionsOnly(schema, options))
    return create(avroFormat(), undefined, schema as SchemaSerializerOptions);
  return create(avroFormat(), schema, options ?? {});
}

/**
 * A Protobuf serializer over a schema registry, writing the Confluent wire format: magic
 * byte 0, the schema id, the message indexes (a single 0 byte for the first message of the
 * file), the message. `schema` is the `.proto` file's text (self-contained: no imports);
 * `messageType` picks the message (default: the file's first). Fields are matched in
 * protobufjs's camelCase (`order_id` is `orderId`). Needs the optional package `protobufjs`.
 * Other options as {@link avro}.
 */
export function protobuf(schema: string, options?: ProtobufSerializerOptions): SchemaSerializer;
export function protobuf(
  options: ProtobufSerializerOptions & { useLatestVersion: true },
): SchemaSerializer;
export function protobuf(schema: unknown, options?: ProtobufSerializerOptions): SchemaSerializer {
  if (typeof schema === 'object' && schema !== null && options === undefined) {
    const given = schema as ProtobufSerializerOptions;
    return create(protobufFormat(given.messageType), undefined, given);
  }
  return create(protobufFormat(options?.messageType), schema, options ?? {});
}

/**
 * A JSON Schema serializer over a schema registry, writing the Confluent wire format: magic
 * byte 0, the schema id, the UTF-8 JSON. The JSON is validated with Ajv first (every error
 * listed in a `SchemaMismatchError`). Needs the optional package `ajv`. Options as {@link avro}.
 */
export function jsonSchema(schema: JsonSchema, options?: SchemaSerializerOptions): SchemaSerializer;
export function jsonSchema(
  options: SchemaSerializerOptions & { useLatestVersion: true },
): SchemaSerializer;
export function jsonSchema(schema: unknown, options?: SchemaSerializerOptions): SchemaSerializer {
  if (optionsOnly(schema, options))
    return create(jsonSchemaFormat(), undefined, schema as SchemaSerializerOptions);
  return create(jsonSchemaFormat(), schema, options ?? {});
}
