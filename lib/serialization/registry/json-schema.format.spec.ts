import { ConfigurationError } from '../../errors/configuration.error.js';
import { jsonSchemaFormat } from './json-schema.format.js';
import { SchemaViolations } from './schema-format.js';

const ORDER = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'shop.Order',
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    quantity: { type: 'integer', minimum: 1 },
    placedAt: { type: 'string' },
    address: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    },
  },
  required: ['orderId', 'quantity'],
};

function violations(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof SchemaViolations)
      return error.violations.map((v) => `${v.path}: ${v.reason}`);
    throw error;
  }
  throw new Error('no violation');
}

describe('jsonSchemaFormat', () => {
  const format = jsonSchemaFormat();
  const compiled = format.compile(format.text(ORDER));

  it('writes the UTF-8 JSON, validating the JSON form (toJSON honoured)', () => {
    const placedAt = new Date(0);
    const bytes = compiled.encode({ orderId: 'o-1', quantity: 2, placedAt });
    expect(bytes.toString()).toBe(
      '{"orderId":"o-1","quantity":2,"placedAt":"1970-01-01T00:00:00.000Z"}',
    );
    expect(compiled.recordName).toBe('shop.Order');
  });

  it('lists every error with its path: types, required and additional properties, keywords', () => {
    expect(
      violations(() => compiled.encode({ orderId: 5, quantity: 0, address: { zip: '1' } })),
    ).toEqual([
      'orderId: must be string',
      'quantity: must be >= 1',
      'address.city: is required',
      'address.zip: is not allowed (additionalProperties)',
    ]);
    expect(violations(() => compiled.encode({ quantity: 1 }))).toEqual(['orderId: is required']);
    expect(violations(() => compiled.encode(() => 1))).toEqual([
      '(root): function has no JSON form',
    ]);
  });

  it('uses the draft the schema names: 2020-12 has its own Ajv build', () => {
    const s2020 = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      prefixItems: [{ type: 'string' }],
    };
    const c = format.compile(JSON.stringify(s2020));
    expect(violations(() => c.encode([1]))).toEqual(['[0]: must be string']);
    expect(() => format.compile('{"$schema":"http://json-schema.org/draft-04/schema#"}')).toThrow(
      /draft-04.*not supported by Ajv 8/,
    );
    expect(() => format.compile('{not json')).toThrow(ConfigurationError);
  });
});
