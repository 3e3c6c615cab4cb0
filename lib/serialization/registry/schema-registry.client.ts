import { SchemaRegistryError } from '../../errors/schema-registry.error.js';
import type {
  CompatibilityLevel,
  RegisteredSchema,
  SchemaDefinition,
  SchemaRegistryApi,
  SchemaRegistryOptions,
} from '../../interfaces/schema-registry.interface.js';
import { backoffMs, sleep } from '../../utils/backoff.js';
import { NoAnswer, RegistryHttp, type HttpAnswer } from './registry-http.js';
import { RegistryMessages } from './registry.messages.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** The registry's error body: `{ error_code, message }`. */
interface ErrorBody {
  error_code?: number;
  message?: string;
}

/** A schema as the REST API takes it: `schemaType` is left out for Avro, as Confluent's clients do. */
function body(schema: SchemaDefinition): string {
  const type = schema.schemaType ?? 'AVRO';
  return JSON.stringify(
    type === 'AVRO' ? { schema: schema.schema } : { schema: schema.schema, schemaType: type },
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A client of the Confluent Schema Registry REST API, which Confluent's registry and
 * Apicurio's `/apis/ccompat/v7` both serve: register and look up schemas, read them by id,
 * set compatibility. Each call retries on 5xx, 429 and no answer, with the module's backoff;
 * every failure is a SchemaRegistryError naming the URL (retriable when the registry did not
 * answer or answered 5xx / 429). Caches nothing: the serializers cache ids.
 */
export class SchemaRegistryClient implements SchemaRegistryApi {
  /** The base URL, without credentials or trailing slash. */
  readonly url: string;
  private readonly http: RegistryHttp;
  private readonly headers: Record<string, string>;
  private readonly retries: number;
  private readonly backoffFirstMs: number;
  private readonly backoffMaxMs: number;

  constructor(options: SchemaRegistryOptions) {
    const base = new URL(options.url);
    const user = options.auth?.username ?? decodeURIComponent(base.username);
    const password = options.auth?.password ?? decodeURIComponent(base.password);
    base.username = '';
    base.password = '';
    this.url = base.href.replace(/\/+$/, '');
    this.headers = { accept: CONTENT_TYPE, ...options.headers };
    if (user) {
      this.headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    this.http = new RegistryHttp(base, options.timeoutMs ?? 10000, options.tls);
    this.retries = Math.max(0, options.retries ?? 3);
    this.backoffFirstMs = options.retryBackoffMs ?? 100;
    this.backoffMaxMs = options.retryBackoffMaxMs ?? 2000;
  }

  async register(subject: string, schema: SchemaDefinition): Promise<number> {
    const answer = await this.call(
      'POST',
      `/subjects/${enc(subject)}/versions`,
      subject,
      body(schema),
    );
    return this.field(answer, 'id', 'POST', `/subjects/${enc(subject)}/versions`) as number;
  }

  async lookup(subject: string, schema: SchemaDefinition): Promise<RegisteredSchema> {
    const path = `/subjects/${enc(subject)}`;
    return this.registered(await this.call('POST', path, subject, body(schema)), 'POST', path);
  }

  async latest(subject: string): Promise<RegisteredSchema> {
    const path = `/subjects/${enc(subject)}/versions/latest`;
    return this.registered(await this.call('GET', path, subject), 'GET', path);
  }

  async schemaById(id: number): Promise<SchemaDefinition> {
    const path = `/schemas/ids/${id}`;
    const answer = (await this.call('GET', path)) as { schema?: unknown; schemaType?: string };
    const schema = this.field(answer, 'schema', 'GET', path) as string;
    return { schema, schemaType: (answer.schemaType as SchemaDefinition['schemaType']) ?? 'AVRO' };
  }

  /** The versions registered under `subject`, oldest first. */
  async versions(subject: string): Promise<number[]> {
    return (await this.call('GET', `/subjects/${enc(subject)}/versions`, subject)) as number[];
  }

  /** Sets the compatibility level of `subject`, or the registry's default when omitted. */
  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void> {
    const path = subject === undefined ? '/config' : `/config/${enc(subject)}`;
    await this.call('PUT', path, subject, JSON.stringify({ compatibility: level }));
  }

  /** Closes idle connections. The client still works afterwards (it opens new ones). */
  close(): void {
    this.http.close();
  }

  private registered(answer: unknown, method: string, path: string): RegisteredSchema {
    const a = answer as Partial<RegisteredSchema>;
    for (const key of ['subject', 'id', 'version', 'schema'] as const)
      this.field(a, key, method, path);
    return {
      subject: a.subject!,
      id: a.id!,
      version: a.version!,
      schema: a.schema!,
      schemaType: a.schemaType ?? 'AVRO',
    };
  }

  private field(answer: unknown, key: string, method: string, path: string): unknown {
    const value = (answer as Record<string, unknown> | null)?.[key];
    if (value === undefined || value === null) {
      const url = this.url + path;
      throw new SchemaRegistryError(
        RegistryMessages.badAnswer(method, url, JSON.stringify(answer)),
        {
          url,
          retriable: false,
        },
      );
    }
    return value;
  }

  /** One call with its retries: the parsed JSON of a 2xx answer, or a SchemaRegistryError. */
  private async call(
    method: string,
    path: string,
    subject?: string,
    payload?: string,
  ): Promise<unknown> {
    const url = new URL(this.url + path);
    const headers =
      payload === undefined ? this.headers : { ...this.headers, 'content-type': CONTENT_TYPE };
    for (let attempt = 1; ; attempt++) {
      let answer: HttpAnswer | undefined;
      let noAnswer: NoAnswer | undefined;
      try {
        answer = await this.http.request(method, url, headers, payload);
      } catch (error) {
        if (!(error instanceof NoAnswer)) throw error;
        noAnswer = error;
      }
      const retriable = answer ? answer.status >= 500 || answer.status === 429 : !noAnswer!.fatal;
      if (answer && answer.status >= 200 && answer.status < 300) return parseJson(answer.body);
      if (!retriable || attempt > this.retries) {
        throw this.failure(method, url.href, subject, attempt, answer, noAnswer);
      }
      await sleep(backoffMs(attempt, this.backoffFirstMs, this.backoffMaxMs));
    }
  }

  private failure(
    method: string,
    url: string,
    subject: string | undefined,
    attempts: number,
    answer: HttpAnswer | undefined,
    noAnswer: NoAnswer | undefined,
  ): SchemaRegistryError {
    if (!answer) {
      const reason = noAnswer?.message ?? 'no answer';
      return new SchemaRegistryError(RegistryMessages.unreachable(method, url, reason, attempts), {
        url,
        subject,
        retriable: !noAnswer?.fatal,
        cause: noAnswer,
      });
    }
    const parsed = parseJson(answer.body) as ErrorBody | undefined;
    const registryMessage =
      parsed?.message ?? (answer.body.slice(0, 500) || `HTTP ${answer.status}`);
    return new SchemaRegistryError(
      RegistryMessages.answered(method, url, answer.status, registryMessage),
      {
        url,
        subject,
        status: answer.status,
        errorCode: typeof parsed?.error_code === 'number' ? parsed.error_code : undefined,
        registryMessage,
        retriable: answer.status >= 500 || answer.status === 429,
      },
    );
  }
}

function enc(subject: string): string {
  return encodeURIComponent(subject);
}

/** The registry behind a `schemaRegistry` or `registry` option: a client for options, or the object given. */
export function schemaRegistryOf(
  registry: SchemaRegistryApi | SchemaRegistryOptions | undefined,
): SchemaRegistryApi | undefined {
  if (registry === undefined) return undefined;
  return typeof (registry as Partial<SchemaRegistryApi>).register === 'function'
    ? (registry as SchemaRegistryApi)
    : new SchemaRegistryClient(registry as SchemaRegistryOptions);
}
