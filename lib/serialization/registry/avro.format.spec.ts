import { createRequire } from 'node:module';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { avroFormat } from './avro.format.js';
import { SchemaViolations } from './schema-format.js';

const avsc = createRequire(import.meta.url)('avsc') as {
  Type: { forSchema(s: unknown): { fromBuffer(b: Buffer): unknown } };
};

const ORDER = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'lines', type: { type: 'array', items: 'string' } },
    {
      name: 'address',
      type: { type: 'record', name: 'Address', fields: [{ name: 'city', type: 'string' }] },
    },
  ],
};

class Order {
  constructor(
    public orderId: unknown,
    public quantity: unknown,
    public lines: unknown,
    public address: unknown,
    public note?: unknown,
  ) {}
  /** Not in the schema: ignored. */
  tenant = 'acme';
}

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

describe('avroFormat', () => {
  const format = avroFormat();
  const compiled = format.compile(format.text(ORDER));

  it('registers the schema as its JSON text, and a primitive name as a JSON string', () => {
    expect(JSON.parse(format.text(ORDER))).toEqual(ORDER);
    expect(format.text('string')).toBe('"string"');
    expect(format.text(' {"type":"int"} ')).toBe('{"type":"int"}');
    expect(compiled.recordName).toBe('shop.Order');
    expect(format.compile('"string"').recordName).toBeUndefined();
  });

  it('writes the Avro binary of a class instance, fields of the schema only', () => {
    const bytes = compiled.encode(new Order('o-1', 2, ['a', 'b'], { city: 'Lyon' }, 'fast'));
    expect(avsc.Type.forSchema(ORDER).fromBuffer(bytes)).toEqual({
      orderId: 'o-1',
      quantity: 2,
      note: 'fast',
      lines: ['a', 'b'],
      address: { city: 'Lyon' },
    });
    // zigzag varint lengths and ints, the union's branch index, the array block count
    // 'o-1' (zigzag length 6), 2 (zigzag 4), union branch 1 then 'fast', an array block of 2
    // strings and its end, 'Lyon'
    expect(bytes.toString('hex')).toBe('066f2d3104020866617374040261026200084c796f6e');
  });

  it('writes the value after a prefix in one buffer, for values of any size, each its own', () => {
    const prefix = Buffer.from([0, 0, 0, 0, 7]);
    const small = compiled.encodeAfter!(prefix, new Order('o-1', 2, ['a', 'b'], { city: 'Lyon' }));
    const big = compiled.encodeAfter!(
      prefix,
      new Order('o-2', 3, ['x'.repeat(5000)], { city: 'Nantes' }),
    );
    const again = compiled.encodeAfter!(prefix, new Order('o-3', 4, [], { city: 'Metz' }));
    const decode = (b: Buffer) =>
      avsc.Type.forSchema(ORDER).fromBuffer(b.subarray(5)) as { orderId: string; lines: string[] };
    expect([small, big, again].map((b) => b.subarray(0, 5).toString('hex'))).toEqual([
      '0000000007',
      '0000000007',
      '0000000007',
    ]);
    expect(decode(small).orderId).toBe('o-1');
    expect(decode(big).lines[0]).toHaveLength(5000);
    expect(decode(again).orderId).toBe('o-3');
    expect(small.subarray(5)).toEqual(
      compiled.encode(new Order('o-1', 2, ['a', 'b'], { city: 'Lyon' })),
    );
  });

  it('lists every field that does not match, with its path and why', () => {
    expect(violations(() => compiled.encode(new Order(5, 1.5, ['a', 3], { city: null })))).toEqual([
      'orderId: expected string, got number 5',
      'quantity: expected int, got number 1.5',
      'lines[1]: expected string, got number 3',
      'address.city: expected string, got null',
    ]);
    expect(violations(() => compiled.encode({ orderId: 'o' }))).toEqual([
      'quantity: is missing (expected int)',
      'lines: is missing (expected array)',
      'address: is missing (expected record shop.Address)',
    ]);
    expect(violations(() => compiled.encode(new Order('o', 1, [], { city: 'x' }, 7)))).toEqual([
      'note: expected one of null | string, got number 7',
    ]);
  });

  it('refuses a schema avsc cannot parse, or one that is not a schema', () => {
    expect(() => format.compile('{"type":"record","name":"X"}')).toThrow(ConfigurationError);
    expect(() => format.compile('{"type":"nope"}')).toThrow(/cannot use its schema/);
    expect(() => format.text(42)).toThrow(/expected an Avro schema object or its JSON text/);
  });
});
