import { ConfigurationError } from '../../errors/configuration.error.js';
import type { SchemaViolation } from '../../errors/schema-mismatch.error.js';
import { describeValue } from '../describe-value.js';
import { AJV, loadPeer, type PeerRequire } from './peer-loader.js';
import { RegistryMessages } from './registry.messages.js';
import { SchemaViolations, type CompiledSchema, type SchemaFormat } from './schema-format.js';

/** One of Ajv's errors. */
interface AjvError {
  instancePath: string;
  message?: string;
  params: { missingProperty?: string; additionalProperty?: string };
}
interface ValidateFn {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}
type AjvClass = new (options: object) => { compile(schema: object): ValidateFn };

const fail = (reason: string) =>
  new ConfigurationError(RegistryMessages.badSchema('jsonSchema', reason));

/** Ajv's build for the schema's draft: 2020-12 and 2019-09 have their own; 06 and 07 the default one. */
function ajvFile(schema: Record<string, unknown>): string {
  const draft = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (draft.includes('2020-12')) return 'ajv/dist/2020';
  if (draft.includes('2019-09')) return 'ajv/dist/2019';
  if (draft.includes('draft-04') || draft.includes('draft-03')) {
    throw fail(`${draft} is not supported by Ajv 8: use draft-06, draft-07, 2019-09 or 2020-12`);
  }
  return 'ajv';
}

/** `address.city` from Ajv's `/address/city` (and the property a `required` or `additionalProperties` names). */
function violationOf(error: AjvError): SchemaViolation {
  const parts = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let reason = error.message ?? 'is not valid';
  if (error.params.missingProperty !== undefined) {
    parts.push(error.params.missingProperty);
    reason = 'is required';
  } else if (error.params.additionalProperty !== undefined) {
    parts.push(error.params.additionalProperty);
    reason = 'is not allowed (additionalProperties)';
  }
  const path = parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  return { path: path || '(root)', reason };
}

/**
 * JSON Schema with Ajv: the value is written as UTF-8 JSON (`toJSON` honoured) and that JSON,
 * what a consumer will read, is validated with every error listed. `format` keywords are
 * checked when the optional `ajv-formats` package is installed, and ignored otherwise.
 */
export function jsonSchemaFormat(load?: PeerRequire): SchemaFormat {
  return {
    serializer: 'jsonSchema',
    schemaType: 'JSON',
    text(schema) {
      if (typeof schema === 'string') return schema;
      if (schema && typeof schema === 'object') return JSON.stringify(schema);
      throw fail(`expected a JSON Schema object or its text, got ${describeValue(schema)}`);
    },
    compile(text): CompiledSchema {
      let schema: Record<string, unknown>;
      try {
        schema = JSON.parse(text) as Record<string, unknown>;
      } catch (error) {
        throw fail(error instanceof Error ? error.message : String(error));
      }
      if (typeof schema !== 'object' || schema === null) throw fail('a JSON Schema is an object');
      const mod = loadPeer<{ default?: AjvClass } & AjvClass>(
        'jsonSchema',
        AJV,
        ajvFile(schema),
        load,
      );
      const ajv = new (mod.default ?? mod)({ allErrors: true, strict: false, logger: false });
      addFormats(ajv, load);
      let validate: ValidateFn;
      try {
        validate = ajv.compile(schema);
      } catch (error) {
        throw fail(error instanceof Error ? error.message : String(error));
      }
      return {
        recordName: typeof schema.title === 'string' ? schema.title : undefined,
        encode(value) {
          const text = JSON.stringify(value);
          if (text === undefined)
            throw new SchemaViolations([
              { path: '(root)', reason: `${typeof value} has no JSON form` },
            ]);
          if (!validate(JSON.parse(text)))
            throw new SchemaViolations((validate.errors ?? []).map(violationOf));
          return Buffer.from(text, 'utf8');
        },
      };
    },
  };
}

/** ajv-formats, when installed: Ajv 8 checks no `format` on its own. */
function addFormats(ajv: object, load: PeerRequire | undefined): void {
  try {
    const mod = loadPeer<{ default?: (a: object) => void } & ((a: object) => void)>(
      'jsonSchema',
      { name: 'ajv-formats', range: '^3.0.0' },
      'ajv-formats',
      load,
    );
    (mod.default ?? mod)(ajv);
  } catch {
    // not installed: formats stay unchecked, as documented
  }
}
