import { RecordTooLargeError } from '../errors/record-too-large.error.js';

/** Serialized size of key, value and headers, and a check against `maxRequestSize`. */
export function recordSize(
  key: Buffer | null,
  value: Buffer | null,
  headers: Record<string, Buffer>,
): number {
  let size = (key?.length ?? 0) + (value?.length ?? 0);
  for (const name in headers) size += Buffer.byteLength(name) + headers[name].length;
  return size;
}

/** Throws RecordTooLargeError when `size` exceeds `limit`. */
export function assertRecordSize(size: number, limit: number): void {
  if (size > limit) throw new RecordTooLargeError(size, limit);
}
