import { createRequire } from 'node:module';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { protobufFormat } from './protobuf.format.js';
import { SchemaViolations } from './schema-format.js';

const pb = createRequire(import.meta.url)('protobufjs') as {
  parse(s: string): {
    root: { lookupType(n: string): { decode(b: Buffer): { toJSON(): unknown } } };
  };
};

const PROTO = `syntax = "proto3";
package shop;

message Order {
  string order_id = 1;
  int32 quantity = 2;
  repeated Line lines = 3;
  Status status = 4;
  int64 total_cents = 5;
  oneof contact { string email = 6; string phone = 7; }
  message Line { string sku = 1; uint32 count = 2; }
}

enum Status { NEW = 0; PAID = 1; }

message Refund {
  string order_id = 1;
  message Reason { string text = 1; }
  message Detail { Reason reason = 1; }
}

message Tagged {
  map<string, int32> counts = 1;
  message Inner { string x = 1; }
}
`;

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

describe('protobufFormat', () => {
  it('writes the first message of the file by default: indexes [0], its full name', () => {
    const compiled = protobufFormat().compile(PROTO);
    expect(compiled.messageIndexes).toEqual([0]);
    expect(compiled.recordName).toBe('shop.Order');
    const bytes = compiled.encode({
      orderId: 'o-1',
      quantity: 2,
      lines: [{ sku: 'a', count: 3 }],
      status: 'PAID',
      totalCents: 12345678901234n,
      email: 'a@b.c',
    });
    const decoded = pb.parse(PROTO).root.lookupType('shop.Order').decode(bytes).toJSON();
    expect(decoded).toEqual({
      orderId: 'o-1',
      quantity: 2,
      lines: [{ sku: 'a', count: 3 }],
      status: 'PAID',
      totalCents: '12345678901234',
      email: 'a@b.c',
    });
  });

  it('message indexes follow the type’s place in the file, nested types too', () => {
    expect(protobufFormat('Refund').compile(PROTO).messageIndexes).toEqual([1]);
    expect(protobufFormat('shop.Order.Line').compile(PROTO).messageIndexes).toEqual([0, 0]);
    expect(protobufFormat('Refund.Detail').compile(PROTO).messageIndexes).toEqual([1, 1]);
    expect(protobufFormat('.shop.Tagged').compile(PROTO).messageIndexes).toEqual([2]);
  });

  it('refuses a type that is not in the schema, naming those that are', () => {
    const load = () => protobufFormat('Nope').compile(PROTO);
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(
      'protobuf message type "Nope" is not in the schema; it has shop.Order, shop.Order.Line, shop.Refund, shop.Refund.Reason, shop.Refund.Detail, shop.Tagged, shop.Tagged.Inner',
    );
    // An enum is not a message type.
    expect(() => protobufFormat('Status').compile(PROTO)).toThrow(/"Status" is not in the schema/);
  });

  it('refuses what it cannot index or parse: a type beside map fields, imports, bad syntax', () => {
    expect(() => protobufFormat('Tagged.Inner').compile(PROTO)).toThrow(
      /nested in a message with map fields/,
    );
    expect(() =>
      protobufFormat().compile(
        'syntax = "proto3"; import "other.proto"; message A { string a = 1; }',
      ),
    ).toThrow(/imports other\.proto/);
    expect(() => protobufFormat().compile('syntax = "proto3"; message {')).toThrow(
      /cannot use its schema/,
    );
    expect(() => protobufFormat().compile('syntax = "proto3"; enum E { A = 0; }')).toThrow(
      /declares no message type/,
    );
  });

  it('lists every field that does not match, with its path and why', () => {
    const compiled = protobufFormat().compile(PROTO);
    expect(
      violations(() =>
        compiled.encode({
          orderId: 5,
          quantity: 2 ** 31,
          lines: [{ sku: 'a', count: -1 }, 'x'],
          status: 'LOST',
          totalCents: 1.5,
          email: 'a',
          phone: 'b',
        }),
      ),
    ).toEqual([
      'orderId: expected a string, got number 5',
      'quantity: expected a 32-bit integer, got number 2147483648',
      'lines[0].count: expected an unsigned 32-bit integer, got number -1',
      'lines[1]: expected a shop.Order.Line message, got a string "x"',
      'status: expected one of NEW, PAID, got a string "LOST"',
      'totalCents: expected a 64-bit integer (safe number, bigint or decimal string), got number 1.5',
      'contact: sets email and phone, but a oneof takes one',
    ]);
    expect(violations(() => compiled.encode({ lines: 'x' }))).toEqual([
      'lines: expected an array, got a string "x"',
    ]);
    const tagged = protobufFormat('Tagged').compile(PROTO);
    expect(violations(() => tagged.encode({ counts: { a: 1, b: 'two' } }))).toEqual([
      'counts.b: expected a 32-bit integer, got a string "two"',
    ]);
    expect(tagged.encode({ counts: { a: 1 } }).length).toBeGreaterThan(0);
  });
});
