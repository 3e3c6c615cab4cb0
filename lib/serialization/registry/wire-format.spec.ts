import { messageIndexBytes, schemaIdBytes } from './wire-format.js';

describe('Confluent wire format', () => {
  it('prefix: magic byte 0, then the schema id as 4 bytes big-endian', () => {
    expect(schemaIdBytes(1).toString('hex')).toBe('0000000001');
    expect(schemaIdBytes(258).toString('hex')).toBe('0000000102');
    expect(schemaIdBytes(0x7fffffff).toString('hex')).toBe('007fffffff');
  });

  it('message indexes: [0] is one 0 byte, others a zigzag-varint count and each index', () => {
    expect(messageIndexBytes([0]).toString('hex')).toBe('00');
    expect(messageIndexBytes([1]).toString('hex')).toBe('0202');
    expect(messageIndexBytes([1, 0]).toString('hex')).toBe('040200');
    expect(messageIndexBytes([0, 2]).toString('hex')).toBe('040004');
    // 64 zigzags to 128: two varint bytes.
    expect(messageIndexBytes([64]).toString('hex')).toBe('028001');
    expect(schemaIdBytes(7, [2, 1]).toString('hex')).toBe('0000000007040402');
  });
});
