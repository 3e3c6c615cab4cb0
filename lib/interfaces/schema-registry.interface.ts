import type { ConnectionOptions } from 'node:tls';
import type { RecordPart } from '../errors/serialization.error.js';
import type { Serializer } from './serializer.interface.js';

/** The schema formats of the Confluent REST API (`schemaType`; absent means AVRO). */
export type SchemaType = 'AVRO' | 'PROTOBUF' | 'JSON';

/** A schema as the registry stores it: its text and format. */
export interface SchemaDefinition {
  /** The schema text: Avro JSON, a `.proto` file, or a JSON Schema document. */
  readonly schema: string;
  /** Default `'AVRO'`. */
  readonly schemaType?: SchemaType;
}

/** A schema registered under a subject. */
export interface RegisteredSchema extends SchemaDefinition {
  readonly subject: string;
  /** The schema id: what the Confluent wire format carries. */
  readonly id: number;
  readonly version: number;
}

/** Compatibility levels of a subject (or of the registry, as its default). */
export type CompatibilityLevel =
  | 'NONE'
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE';

/**
 * What the schema serializers need of a registry. `SchemaRegistryClient` implements it over
 * the Confluent REST API; any object with these methods can stand in for it.
 */
export interface SchemaRegistryApi {
  /** Registers `schema` under `subject` (or finds it there) and gives its id. */
  register(subject: string, schema: SchemaDefinition): Promise<number>;
  /** The version of `subject` that is `schema`; rejects when the subject or schema is unknown. */
  lookup(subject: string, schema: SchemaDefinition): Promise<RegisteredSchema>;
  /** The latest version of `subject`. */
  latest(subject: string): Promise<RegisteredSchema>;
  /** The schema with this id. */
  schemaById(id: number): Promise<SchemaDefinition>;
}

/** Basic authentication against the registry. */
export interface SchemaRegistryAuth {
  readonly username: string;
  readonly password: string;
}

/** Options of `SchemaRegistryClient` (and of the module's `schemaRegistry`). */
export interface SchemaRegistryOptions {
  /**
   * Base URL of the Confluent-compatible REST API: `http://localhost:8081` for Confluent's
   * registry, `http://host:8080/apis/ccompat/v7` for Apicurio's. `https:` uses `tls`.
   */
  url: string;
  /** Basic auth. Default: the user and password of the URL, if it has them, else none. */
  auth?: SchemaRegistryAuth;
  /** TLS of an `https:` URL: `ca`, `cert`, `key`, `passphrase`, `rejectUnauthorized`… Default: Node's defaults. */
  tls?: Pick<
    ConnectionOptions,
    'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'
  >;
  /** Extra request headers (a bearer token, a tenant id). Default none. */
  headers?: Record<string, string>;
  /** Time bound on each request attempt. Default 10000 ms. */
  timeoutMs?: number;
  /**
   * Retries after a failed attempt (5xx, 429, no answer, connection refused); not after
   * another 4xx or an untrusted certificate. Default 3.
   */
  retries?: number;
  /** First wait before a retry; it doubles per retry, with ±20% jitter. Default 100 ms. */
  retryBackoffMs?: number;
  /** Longest wait between retries. Default 2000 ms. */
  retryBackoffMaxMs?: number;
}

/** What a subject name strategy is told. */
export interface SubjectNameContext {
  readonly topic: string;
  /** `'key'` or `'value'`. */
  readonly part: RecordPart;
  /** The schema's full name (Avro `namespace.name`, Protobuf `package.Message`, JSON Schema `title`). */
  readonly recordName?: string;
}

/**
 * How a schema's subject is named, as Confluent's `*.subject.name.strategy`: `'TopicName'`
 * (`<topic>-key` / `<topic>-value`), `'RecordName'` (the record's full name), or
 * `'TopicRecordName'` (`<topic>-<full name>`), or a function of the topic, part and name.
 */
export type SubjectNameStrategy =
  'TopicName' | 'RecordName' | 'TopicRecordName' | ((context: SubjectNameContext) => string);

/** Options every schema serializer (`avro`, `protobuf`, `jsonSchema`) takes. */
export interface SchemaSerializerOptions {
  /** How the subject is named. Default `'TopicName'`. */
  subjectNameStrategy?: SubjectNameStrategy;
  /**
   * Register the schema on first use (Confluent's `auto.register.schemas`). With `false`, the
   * schema must already be registered under the subject. Default `true`.
   */
  autoRegister?: boolean;
  /**
   * Serialize with the latest version registered under the subject (Confluent's
   * `use.latest.version`) instead of a schema of your own; the schema argument may then be
   * omitted, and is not used if given. Default `false`.
   */
  useLatestVersion?: boolean;
  /**
   * Where the schema id goes: `'payload'` (Confluent's prefix: magic byte 0, the id as 4
   * bytes big-endian, the Protobuf message indexes) or `'header'` (the same bytes in a
   * `__value_schema_id` / `__key_schema_id` header, the payload holding only the message).
   * Default `'payload'`.
   */
  schemaIdLocation?: 'payload' | 'header';
  /** The registry of this serializer. Default: the module's `schemaRegistry`. */
  registry?: SchemaRegistryApi | SchemaRegistryOptions;
}

/** Options of `protobuf()`. */
export interface ProtobufSerializerOptions extends SchemaSerializerOptions {
  /**
   * The message type to write, by name (`Order`, `shop.Order`, `shop.Order.Line`). Default:
   * the first message of the file, as Confluent's serializer does.
   */
  messageType?: string;
}

/**
 * A serializer that needs a registry: the module gives it its own (`withRegistry`) before
 * first use, unless the serializer was created with one.
 */
export interface RegistryAwareSerializer extends Serializer {
  /** This serializer, using `registry` unless it has one of its own. */
  withRegistry(registry: SchemaRegistryApi | undefined): Serializer;
}
