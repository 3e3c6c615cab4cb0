import { ConfigurationError } from '../../errors/configuration.error.js';
import { SchemaMismatchError } from '../../errors/schema-mismatch.error.js';
import { SchemaRegistryError } from '../../errors/schema-registry.error.js';
import { SerializationError } from '../../errors/serialization.error.js';
import type {
  RegistryAwareSerializer,
  SchemaRegistryApi,
  SchemaSerializerOptions,
  SchemaType,
} from '../../interfaces/schema-registry.interface.js';
import type { SerializationContext, Serializer } from '../../interfaces/serializer.interface.js';
import { RegistryMessages } from './registry.messages.js';
import { schemaRegistryOf } from './schema-registry.client.js';
import { SchemaViolations, type CompiledSchema, type SchemaFormat } from './schema-format.js';
import { subjectName } from './subject-name.js';
import { SCHEMA_ID_HEADERS, schemaIdBytes } from './wire-format.js';

/** A subject's schema, resolved once: its id, its compiled form and the id bytes to write. */
interface Resolved {
  readonly id: number;
  readonly compiled: CompiledSchema;
  /** Magic byte, id and Protobuf message indexes: the payload's prefix, or the header's value. */
  readonly idBytes: Buffer;
}

/**
 * The Confluent wire format over a schema registry, for one schema language (SchemaFormat).
 * `prepare` resolves the schema id of a topic and part once: the subject (its naming
 * strategy), then register (`autoRegister`), look up, or take the latest version
 * (`useLatestVersion`). Concurrent first sends share one request per subject, a failure is
 * not cached (the next send asks again), and after that `serialize` is synchronous: it
 * checks and writes the value and puts the cached id bytes in front (or in a header).
 *
 * Created unbound by `avro()`, `protobuf()` and `jsonSchema()`; the producer binds it to its
 * registry with `withRegistry` (each registry has its own ids, so each binding its own cache).
 */
export class SchemaSerializer implements RegistryAwareSerializer {
  readonly name: string;
  private readonly registry?: SchemaRegistryApi;
  /** Resolved schemas by topic, for keys [0] and values [1]: the hot path's one lookup. */
  private readonly ready: [Map<string, Resolved>, Map<string, Resolved>] = [new Map(), new Map()];
  private readonly pending = new Map<string, Promise<void>>();
  private readonly subjects = new Map<string, Promise<Resolved>>();
  private local?: CompiledSchema;
  private readonly bindings = new WeakMap<SchemaRegistryApi, SchemaSerializer>();

  constructor(
    private readonly format: SchemaFormat,
    /** The schema given in code, as registry text; undefined with useLatestVersion alone. */
    private readonly schemaText: string | undefined,
    private readonly options: Required<Omit<SchemaSerializerOptions, 'registry'>>,
    registry: SchemaRegistryApi | SchemaSerializerOptions['registry'],
  ) {
    this.name = format.serializer;
    this.registry = schemaRegistryOf(registry);
    if (schemaText === undefined && !options.useLatestVersion) {
      throw new ConfigurationError(RegistryMessages.noSchema(format.serializer));
    }
  }

  /** The schema type this serializer writes (`AVRO`, `PROTOBUF`, `JSON`). */
  get schemaType(): SchemaType {
    return this.format.schemaType;
  }

  withRegistry(registry: SchemaRegistryApi | undefined): Serializer {
    if (this.registry || !registry) return this;
    let bound = this.bindings.get(registry);
    if (!bound) {
      bound = new SchemaSerializer(this.format, this.schemaText, this.options, registry);
      this.bindings.set(registry, bound);
    }
    return bound;
  }

  prepare(context: SerializationContext): Promise<void> | undefined {
    const part = context.part === 'key' ? 0 : context.part === 'value' ? 1 : undefined;
    if (part === undefined) {
      const reason = RegistryMessages.headerPart(this.name, context.part);
      return Promise.reject(new ConfigurationError(reason));
    }
    if (this.ready[part].has(context.topic)) return undefined;
    const key = `${part}\0${context.topic}`;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.resolveTopic(part, context).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  serialize(data: unknown, context: SerializationContext): Buffer | null {
    if (data === null || data === undefined) return null;
    const part = context.part === 'key' ? 0 : context.part === 'value' ? 1 : undefined;
    if (part === undefined) {
      const reason = RegistryMessages.headerPart(this.name, context.part);
      throw new SerializationError(this.name, context.part, reason);
    }
    const resolved = this.ready[part].get(context.topic);
    if (!resolved) {
      const reason = RegistryMessages.notPrepared(context.topic);
      throw new SerializationError(this.name, context.part, reason);
    }
    const idHeaders = this.options.schemaIdLocation === 'header' ? context.headers : undefined;
    const { compiled } = resolved;
    let body: Buffer;
    try {
      body =
        !idHeaders && compiled.encodeAfter
          ? compiled.encodeAfter(resolved.idBytes, data)
          : compiled.encode(data);
    } catch (error) {
      if (error instanceof SchemaViolations)
        throw new SchemaMismatchError(this.name, context.part, error.violations);
      throw new SerializationError(
        this.name,
        context.part,
        error instanceof Error ? error.message : String(error),
        error,
      );
    }
    if (idHeaders) {
      idHeaders[part === 0 ? SCHEMA_ID_HEADERS.key : SCHEMA_ID_HEADERS.value] = resolved.idBytes;
      return body;
    }
    if (compiled.encodeAfter) return body;
    const prefix = resolved.idBytes;
    const out = Buffer.allocUnsafe(prefix.length + body.length);
    prefix.copy(out, 0);
    body.copy(out, prefix.length);
    return out;
  }

  private async resolveTopic(part: 0 | 1, context: SerializationContext): Promise<void> {
    const registry = this.registry;
    if (!registry) throw new ConfigurationError(RegistryMessages.noRegistry(this.name));
    const { useLatestVersion, subjectNameStrategy } = this.options;
    const local = useLatestVersion ? undefined : this.compileLocal();
    // RecordName strategies name the subject after the schema given in code, even when the
    // registry's latest version is what is written.
    const named = subjectNameStrategy !== 'TopicName' && this.schemaText !== undefined;
    const recordName = named ? (local ?? this.compileLocal()).recordName : undefined;
    const subject = subjectName(subjectNameStrategy, context.topic, context.part, recordName);
    let resolving = this.subjects.get(subject);
    if (!resolving) {
      resolving = this.resolveSubject(registry, subject, local);
      this.subjects.set(subject, resolving);
      resolving.catch(() => this.subjects.delete(subject));
    }
    this.ready[part].set(context.topic, await resolving);
  }

  private async resolveSubject(
    registry: SchemaRegistryApi,
    subject: string,
    local: CompiledSchema | undefined,
  ): Promise<Resolved> {
    const type = this.format.schemaType;
    if (!local) {
      const latest = await registry.latest(subject);
      const got = latest.schemaType ?? 'AVRO';
      if (got !== type)
        throw new ConfigurationError(RegistryMessages.wrongType(this.name, subject, got, type));
      return this.resolved(latest.id, this.format.compile(latest.schema));
    }
    const schema = { schema: this.schemaText!, schemaType: type };
    if (this.options.autoRegister)
      return this.resolved(await registry.register(subject, schema), local);
    try {
      return this.resolved((await registry.lookup(subject, schema)).id, local);
    } catch (error) {
      throw notRegistered(error, subject);
    }
  }

  private resolved(id: number, compiled: CompiledSchema): Resolved {
    return { id, compiled, idBytes: schemaIdBytes(id, compiled.messageIndexes) };
  }

  private compileLocal(): CompiledSchema {
    return (this.local ??= this.format.compile(this.schemaText!));
  }
}

/** A lookup's 404 with autoRegister off, in words that say what to do. */
function notRegistered(error: unknown, subject: string): unknown {
  if (!(error instanceof SchemaRegistryError) || error.status !== 404) return error;
  const message =
    error.errorCode === 40401
      ? RegistryMessages.unknownSubject(subject)
      : RegistryMessages.unknownSchema(subject);
  return new SchemaRegistryError(`${message} (${error.registryMessage ?? 'not found'})`, {
    url: error.url,
    subject,
    status: error.status,
    errorCode: error.errorCode,
    registryMessage: error.registryMessage,
    retriable: false,
    cause: error,
  });
}
