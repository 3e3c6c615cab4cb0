import { createHash } from 'node:crypto';
import kafkajs from 'kafkajs';
import { compressionType, ensureCodec, type CompressionCodec } from './compression-registry.js';
import type { KafkaJsCodec } from './kafkajs-codec.js';
import { isXerialFramed, xerialBlocks } from './snappy.codec.js';

/* kafkajs's protocol internals (CJS, untyped): imported through the same module registry as
 * 'kafkajs' so they see the codecs ensureCodec registers. */
type Encoder = { buffer: Buffer };
interface KafkajsInternals {
  RecordBatch(args: { compression: number; records: Encoder[] }): Promise<Encoder>;
  Record(args: {
    offsetDelta: number;
    key: Buffer | null;
    value: Buffer | null;
    headers?: Record<string, Buffer>;
  }): Encoder;
  decodeBatch(decoder: unknown): Promise<{
    records: Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }>;
  }>;
  Decoder: new (buffer: Buffer) => unknown;
}

async function kafkajsInternals(): Promise<KafkajsInternals> {
  const load = (path: string): Promise<any> => import(`kafkajs/src/protocol/${path}`);
  const [batch, decoder, record, Decoder] = await Promise.all([
    load('recordBatch/v0/index.js'),
    load('recordBatch/v0/decoder.js'),
    load('recordBatch/record/v0/index.js'),
    load('decoder.js'),
  ]);
  return {
    RecordBatch: batch.RecordBatch ?? batch.default.RecordBatch,
    decodeBatch: decoder.default,
    Record: record.default,
    Decoder: Decoder.default,
  };
}

/**
 * The records section of a batch as kafkajs encodes it: firstOffset (8), length (4), then the
 * 45 header bytes from partitionLeaderEpoch to firstSequence, and the int32 record count.
 */
function recordsSection(batch: Buffer): Buffer {
  return batch.subarray(8 + 4 + 45 + 4);
}

function codecFor(codec: CompressionCodec): KafkaJsCodec {
  const factories = kafkajs.CompressionCodecs as Record<number, () => KafkaJsCodec>;
  return factories[compressionType(codec)]();
}

/** Bytes with no 4-byte repeat, so LZ4 stores them as an uncompressed block. */
function incompressible(n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < n; i++) {
    parts.push(createHash('sha256').update(`fixture-${i}`).digest());
  }
  return Buffer.concat(parts).subarray(0, n);
}

function repetitive(n: number): Buffer {
  let s = '';
  for (let i = 0; s.length < n; i++) {
    s += `{"orderId":"order-${i % 4}","qty":${i % 4},"status":"CREATED"}\n`;
  }
  return Buffer.from(s.slice(0, n));
}

/** JSON-ish text that compresses about as well as real events (not as well as `repetitive`). */
function jsonish(n: number): Buffer {
  let s = '';
  for (let i = 0; s.length < n; i++) {
    const h = createHash('md5').update(String(i)).digest('hex');
    s +=
      JSON.stringify({
        orderId: `o-${h.slice(0, 8)}`,
        customer: `c-${h.slice(8, 12)}`,
        qty: i % 9,
        i,
      }) + '\n';
  }
  return Buffer.from(s.slice(0, n));
}

/*
 * Written by Kafka 4.1's own Java codecs (org.apache.kafka.common.compress.Compression
 * .of(type).build().wrapForOutput(..., RecordBatch.MAGIC_VALUE_V2), i.e. what the Java producer
 * puts in a batch: snappy-java's xerial stream, Kafka's Lz4BlockOutputStream frame with 64 KiB
 * blocks, zstd-jni's ZstdOutputStream frame) from incompressible(100) ("small") and
 * repetitive(40_000) for snappy (2 xerial blocks of 32 KiB) / repetitive(70_000) for lz4 and
 * zstd (2 LZ4 blocks of 64 KiB) ("large"). Base64.
 */
const JAVA = {
  snappy_small: [
    'glNOQVBQWQAAAAABAAAAAQAAAGdk8GMbvK0pMg8ghHpRXMhUBjzaDdrqIM3P9F62teDp7hX71AQoltwZZrimIU5Tg6uluLkxz6BJ',
    '0Xqvo364p3yFm5Xa26AILsaOctR/qSbcyR+5sAlhzrQ0JVSgwqpWcUSlptPf1ZIv',
  ].join(''),
  snappy_large: [
    'glNOQVBQWQAAAAABAAAAAQAABkeAgAIoeyJvcmRlcklkIjoJCnwtMCIsInF0eSI6MCwic3RhdHVzIjoiQ1JFQVRFRCJ9CkYxAAAx',
    'ETEAMZoxAAAyETEAMpoxAAAzETEAM5oxAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7E',
    'AP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAP7EAKbEAAAAAZnAOFwiOiJDUkVBVEVEIn0KeyJv',
    'cmRlcklkIjoJCkgtMSIsInF0eSI6MSwic3RhdHVzejEAADIRMQAymjEAADMRMQAzmjEAADARMQAwmjEA/sQA/sQA/sQA/sQA/sQA',
    '/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA',
    '/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA',
    '/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA',
    '/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA/sQA',
    '/sQA/sQA/sQA/sQAcsQA',
  ].join(''),
  lz4_small: [
    'BCJNGGBAgmQAAIAbvK0pMg8ghHpRXMhUBjzaDdrqIM3P9F62teDp7hX71AQoltwZZrimIU5Tg6uluLkxz6BJ0Xqvo364p3yFm5Xa',
    '26AILsaOctR/qSbcyR+5sAlhzrQ0JVSgwqpWcUSlptPf1ZIvAAAAAA==',
  ].join(''),
  lz4_large: [
    'BCJNGGBAglcBAACyeyJvcmRlcklkIjoKAP4RLTAiLCJxdHkiOjAsInN0YXR1cyI6IkNSRUFURUQifQoxABQxMQAfMTEAFBQyMQAf',
    'MjEAFBQzMQAfMzEAFA/EAP//////////////////////////////////////////////////////////////////////////////',
    '////////////////////////////////////////////////////////////////////////////////////////////////////',
    '////////////////////////////////////////////////////////////////////////////////////////////////////',
    '//////////////////////////////////////////////////////////////8SUDEiLCJxZwAAAPIWdHkiOjEsInN0YXR1cyI6',
    'IkNSRUFURUQifQp7Im9yZGVySWQiOgoAYC0yIiwicTEAHzIxABQUMzEAHzMxABQUMDEAHzAxABQUMTEAD8QA////////////////',
    '/////6BQdHkiOjAAAAAA',
  ].join(''),
  zstd_small: [
    'KLUv/QBYIAMAG7ytKTIPIIR6UVzIVAY82g3a6iDNz/RetrXg6e4V+9QEKJbcGWa4piFOU4Orpbi5Mc+gSdF6r6N+uKd8hZuV2tug',
    'CC7GjnLUf6km3MkfubAJYc60NCVUoMKqVnFEpabT39WSLwEAAA==',
  ].join(''),
  zstd_large: [
    'KLUv/QBYfC0AOrWsDRmAqYXhePrU7/WIByN4zdLonkw5gWqkgx4C5gDNAMwAWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslr',
    'Ja+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+V',
    'vFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFbyWslrJa+VvFby',
    'WslrJa+VvFbyWsmrwYIB4DAA4SAgYRiGAsGCwEIxChlGgsWBURgdGAYiQKIAImFgKAglr5W8VvJayWslr5W8VvJayWslr5W8VvJa',
    'yWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWsl',
    'r5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8',
    'VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvIBr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWsl',
    'r5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8',
    'VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJayWslr5W8VvJa',
    'yWslr5W8VvJalbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW',
    '8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJ',
    'ayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lrJayWvlbxW8lpJiymoFID/eukH868I',
    'FEAAAQAY8AIE/O9/AAAAAAAEAYIAQQAAAAAAQBAgCJA0QdIEkiYIEAQIAiRNkDRB0gQBggBBkAAAAAAAgQBBgCAAAAAAACAIEARI',
    'miBpgqQJAgQBBAGSJkiaIGmCAEGAIEgAAAAAQBAgCBAEAAAAAAAQBAgCJE2QNEHSBAGCAEGApAkSTZA0QYAgQBAkAAAAACAIEAQI',
    'AgAAAAAABAIEAZImSJogaYIAQYAgQNIESRMkTRAgECAIEgAAAAAQBAgCBAEAAAAAAEGAIEDSCCRNkDRBgCBAECBpgqQJkiYIEAQI',
    'ggQAAAAACAIEAYIAAAAAAIAgQBAgaYKkCZImEEAQIAiQNEHSBEkTBAgCBEECAAAAAIIAgQBBAAAAAABAECAIkDRB0gRJEwQIAgQB',
    'Io0gaYKkCQIEAYIgAQAAAABBgCBAEAAAAAAAIAgQBEiaIGmCpAkCBAGCAEkTJE2QZIIAggBBkAAAAACAIEAQIAgAAAAAAAgCBAIk',
    'TZA0QdIEAYIAQYCkCZImSJogQBAgCCQAAAAAQBAgCBAEAAAAAAAEAYIASRMkjSBpggBBgCBA0gRJEyRNECAIEAQJAAAAABAEEAQI',
    'AgAAAAAAggBBgKQJkiZImiBAEEAQIGmCpAmSJggQBAiCBAAAAAAEAYIAQQAAAAAAAEGAIEDSBEkTJE0QIAgQBEiaINIESRMECAIE',
    'QQIAAAAAggBBgCAAAAAAAEAQQBAgaYKkCZImCJ5RMaD+/v33////AQAA',
  ].join(''),
};

const javaBytes = (name: keyof typeof JAVA): Buffer => Buffer.from(JAVA[name], 'base64');

describe('compression codecs', () => {
  let kafka: KafkajsInternals;

  beforeAll(async () => {
    kafka = await kafkajsInternals();
    for (const codec of ['snappy', 'lz4', 'zstd'] as const) await ensureCodec(codec);
  });

  describe.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)(
    '%s through the kafkajs record batch encoder and decoder',
    (codec) => {
      const records: Array<{
        key: Buffer | null;
        value: Buffer | null;
        headers: Record<string, Buffer>;
      }> = [
        {
          key: Buffer.from('k-0'),
          value: Buffer.from('v-0'),
          headers: { trace: Buffer.from('t') },
        },
        { key: null, value: jsonish(200_000), headers: {} },
        { key: Buffer.from('k-2'), value: null, headers: { empty: Buffer.alloc(0) } },
        { key: Buffer.from('k-3'), value: incompressible(5_000), headers: {} },
        { key: Buffer.from('k-4'), value: Buffer.from('last, ünïcödé'), headers: {} },
      ];

      it('round-trips keys, values and headers and sets the codec in the batch attributes', async () => {
        const type = compressionType(codec);
        const encoded = await kafka.RecordBatch({
          compression: type,
          records: records.map((r, offsetDelta) => kafka.Record({ offsetDelta, ...r })),
        });
        const batch = encoded.buffer;
        // firstOffset(8) length(4) leaderEpoch(4) magic(1) crc(4) → attributes int16 at 21
        expect(batch.readInt8(16)).toBe(2);
        expect(batch.readInt16BE(21) & 0x07).toBe(type);

        const decoded = await kafka.decodeBatch(new kafka.Decoder(batch));
        expect(decoded.records).toHaveLength(records.length);
        decoded.records.forEach((r, i) => {
          expect(r.key).toEqual(records[i].key);
          expect(r.value).toEqual(records[i].value);
          expect(r.headers).toEqual(records[i].headers);
        });

        if (codec !== 'none') {
          const section = recordsSection(batch);
          const raw = records.reduce((n, r) => n + (r.value?.length ?? 0), 0);
          expect(section.length).toBeLessThan(raw * 0.75);
          const magic: Partial<Record<CompressionCodec, string>> = {
            gzip: '1f8b',
            lz4: '04224d18',
            zstd: '28b52ffd',
          };
          if (magic[codec]) expect(section.subarray(0, 4).toString('hex')).toContain(magic[codec]);
          // Raw snappy, one block per batch (Kafka's SnappyInputStream reads it, see codec doc).
          if (codec === 'snappy') expect(isXerialFramed(section)).toBe(false);
        }
      });
    },
  );

  describe('reading what the Java producer writes', () => {
    it.each([
      ['snappy_small', 'snappy', incompressible(100)],
      ['snappy_large', 'snappy', repetitive(40_000)],
      ['lz4_small', 'lz4', incompressible(100)],
      ['lz4_large', 'lz4', repetitive(70_000)],
      ['zstd_small', 'zstd', incompressible(100)],
      ['zstd_large', 'zstd', repetitive(70_000)],
    ] as const)('%s', async (name, codec, expected) => {
      const out = await codecFor(codec).decompress(javaBytes(name));
      expect(out.equals(expected)).toBe(true);
    });

    it('Java snappy is the xerial stream, split into 32 KiB blocks', () => {
      expect(isXerialFramed(javaBytes('snappy_large'))).toBe(true);
      expect(xerialBlocks(javaBytes('snappy_large'))).toHaveLength(2);
    });

    it('Java lz4 is a frame with independent 64 KiB blocks; small incompressible data stays raw', () => {
      const large = javaBytes('lz4_large');
      expect(large.subarray(0, 6).toString('hex')).toBe('04224d186040'); // FLG 0x60, BD 0x40
      const small = javaBytes('lz4_small');
      // The one block's size word has the "uncompressed" high bit set: 0x80000064 = 100 bytes.
      expect(small.readUInt32LE(7)).toBe(0x80000064);
    });
  });

  describe('snappy xerial framing', () => {
    const codec = () => codecFor('snappy');

    it('reads concatenated xerial streams, as SnappyInputStream does', async () => {
      const joined = Buffer.concat([javaBytes('snappy_small'), javaBytes('snappy_large')]);
      const out = await codec().decompress(joined);
      expect(out.equals(Buffer.concat([incompressible(100), repetitive(40_000)]))).toBe(true);
    });

    it('rejects a truncated stream instead of returning part of it', async () => {
      const full = javaBytes('snappy_large');
      await expect(codec().decompress(full.subarray(0, full.length - 10))).rejects.toThrow(
        /claims \d+ bytes/,
      );
      await expect(codec().decompress(full.subarray(0, 18))).rejects.toThrow(/truncated/);
    });

    it('an empty xerial stream (header only) is empty', async () => {
      expect(await codec().decompress(javaBytes('snappy_small').subarray(0, 16))).toEqual(
        Buffer.alloc(0),
      );
    });
  });

  it.each(['snappy', 'lz4', 'zstd'] as const)(
    '%s round-trips empty and 3 MiB inputs',
    async (codec) => {
      const c = codecFor(codec);
      for (const input of [Buffer.alloc(0), jsonish(3 << 20)]) {
        const out = await c.decompress(await c.compress({ buffer: input }));
        expect(out.equals(input)).toBe(true);
      }
    },
  );

  it('zstd reads concatenated frames', async () => {
    const c = codecFor('zstd');
    const joined = Buffer.concat([
      javaBytes('zstd_small'),
      await c.compress({ buffer: repetitive(1000) }),
    ]);
    expect(
      (await c.decompress(joined)).equals(Buffer.concat([incompressible(100), repetitive(1000)])),
    ).toBe(true);
  });
});
