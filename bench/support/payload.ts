/**
 * The records every Node peer sends: a plain object `{ id, seq, payload }` whose JSON is
 * exactly `size` bytes. The payload is random A–Z text made once and reused, as Kafka's
 * ProducerPerformance does with `--record-size`, so compression sees the same kind of data
 * in every peer (and flatters lz4 the same way).
 */

/** The fields of one benchmark event. */
export interface BenchFields {
  id: string;
  seq: number;
  payload: string;
}

/** Distinct keys of keyed workloads (every peer, Java too): enough to spread over 256 partitions. */
export const KEY_SPACE = 1000;

/** A small deterministic PRNG (mulberry32), so every run sends the same bytes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomLetters(length: number, seed = 42): string {
  const next = prng(seed);
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(65 + Math.floor(next() * 26));
  return out;
}

/** `k` + 8 digits: fixed width so every record's JSON has the same length. */
export function keyOf(i: number): string {
  return `k${String(i % KEY_SPACE).padStart(8, '0')}`;
}

/** 7 digits for every i, so the JSON length does not vary. */
function seqOf(i: number): number {
  return 1_000_000 + (i % 9_000_000);
}

/** Makes the fields of record i, with a JSON form of exactly `size` bytes. */
export class PayloadFactory {
  private readonly payload: string;

  constructor(readonly size: number) {
    const overhead = JSON.stringify({ id: keyOf(0), seq: seqOf(0), payload: '' }).length;
    if (size < overhead) throw new Error(`record size ${size} is below the minimum ${overhead}`);
    this.payload = randomLetters(size - overhead);
  }

  fields(i: number): BenchFields {
    return { id: keyOf(i), seq: seqOf(i), payload: this.payload };
  }

  /** The JSON text of record i, as a user of a raw client would produce it. */
  json(i: number): string {
    return JSON.stringify(this.fields(i));
  }
}
