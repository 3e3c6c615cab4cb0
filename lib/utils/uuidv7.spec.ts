import { uuidv7, uuidv7Bytes } from './uuidv7.js';

describe('uuidv7', () => {
  it('is a version 7, variant 10 UUID carrying the ms timestamp', () => {
    const id = uuidv7(0x0189abcdef01);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id.replace(/-/g, '').slice(0, 12)).toBe('0189abcdef01');
  });

  it('sorts in creation order, within one millisecond too, and never repeats', () => {
    const ids = Array.from({ length: 20000 }, () => uuidv7());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has a byte form: the same 36 ASCII characters, written without strings', () => {
    // Later than every id made so far (ids never go back in time).
    const bytes = uuidv7Bytes(0xf189abcdef01);
    expect(bytes.length).toBe(36);
    const text = bytes.toString('latin1');
    expect(text).toMatch(/^f189abcd-ef01-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Buffer.from(text, 'utf8').equals(bytes)).toBe(true);
    // Timestamps above 2^32 ms (and the largest 48-bit one) keep every digit.
    expect(uuidv7Bytes(0xffffffffffff).toString('latin1').slice(0, 13)).toBe('ffffffff-ffff');
  });
});
