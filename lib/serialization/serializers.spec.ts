import { SerializationError } from '../errors/serialization.error.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { resolveSerializer, serializeWith } from './serializer-registry.js';

const ctx = { topic: 't', part: 'value' as const };
const serialize = (name: 'string' | 'integer' | 'json' | 'buffer', data: unknown) =>
  serializeWith(resolveSerializer(name), data, ctx);

describe('built-in serializers', () => {
  it('string: UTF-8 bytes, numbers as their text, null stays null', () => {
    expect(serialize('string', 'héllo €')).toEqual(Buffer.from('héllo €', 'utf8'));
    expect(serialize('string', 42)).toEqual(Buffer.from('42'));
    expect(serialize('string', 12345678901234567890n)).toEqual(Buffer.from('12345678901234567890'));
    expect(serialize('string', null)).toBeNull();
    expect(() => serialize('string', { a: 1 })).toThrow(SerializationError);
  });

  it('integer: 4 bytes big-endian two’s complement like Java', () => {
    expect(serialize('integer', 1)!.toString('hex')).toBe('00000001');
    expect(serialize('integer', -1)!.toString('hex')).toBe('ffffffff');
    expect(serialize('integer', 256)!.toString('hex')).toBe('00000100');
    expect(serialize('integer', -2147483648)!.toString('hex')).toBe('80000000');
    expect(serialize('integer', 2147483647)!.toString('hex')).toBe('7fffffff');
  });

  it('integer: refuses strings, fractions and values outside 32 bits', () => {
    expect(() => serialize('integer', '12')).toThrow(
      /integer serializer .* expected an integer, got a string/,
    );
    expect(() => serialize('integer', 1.5)).toThrow(SerializationError);
    expect(() => serialize('integer', 2147483648)).toThrow(/outside the 32-bit range/);
  });

  it('json: UTF-8 JSON, honouring toJSON', () => {
    expect(serialize('json', { a: 1, b: 'x' })!.toString()).toBe('{"a":1,"b":"x"}');
    expect(serialize('json', new Date(0))!.toString()).toBe('"1970-01-01T00:00:00.000Z"');
  });

  it('json: refuses circular structures and BigInt with a SerializationError', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(() => serialize('json', circular)).toThrow(SerializationError);
    expect(() => serialize('json', circular)).toThrow(/circular/i);
    expect(() => serialize('json', { n: 1n })).toThrow(/BigInt/);
    expect(() => serialize('json', () => 1)).toThrow(/no JSON form/);
  });

  it('buffer: passes Buffers and Uint8Arrays through, refuses the rest', () => {
    const bytes = Buffer.from([1, 2, 3]);
    expect(serialize('buffer', bytes)).toBe(bytes);
    expect(serialize('buffer', new Uint8Array([4, 5]))).toEqual(Buffer.from([4, 5]));
    expect(() => serialize('buffer', 'text')).toThrow(SerializationError);
  });

  it('wraps errors of custom serializers and checks what they return', () => {
    const throwing = {
      name: 'custom',
      serialize: () => {
        throw new Error('nope');
      },
    };
    expect(() => serializeWith(throwing, 1, ctx)).toThrow(
      /custom serializer cannot serialize the value: nope/,
    );
    const wrong = { name: 'wrong', serialize: () => 'text' as unknown as Buffer };
    expect(() => serializeWith(wrong, 1, ctx)).toThrow(/not a Buffer/);
  });

  it('refuses unknown serializer names', () => {
    expect(() => resolveSerializer('avro' as 'json')).toThrow(ConfigurationError);
  });
});
