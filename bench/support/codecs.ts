import kafkajs from 'kafkajs';

// kafkajs is CommonJS: Node's ESM loader does not see every named export (CompressionCodecs).
const { CompressionCodecs, CompressionTypes } = kafkajs;
type CompressionTypes = kafkajs.CompressionTypes;
import type { Codec } from './types.js';

/**
 * Makes a codec usable by every kafkajs-based peer of this process (kafkajs keeps codecs in
 * one process-wide registry). lz4 comes from the library's `lib/compression` (`ensureCodec`)
 * when that exists; until then lz4 cells are skipped with the returned reason.
 * Returns undefined when the codec is ready, else why it is not.
 */
export async function prepareCodec(codec: Codec): Promise<string | undefined> {
  if (codec === 'none') return undefined;
  // A computed specifier, so that the bench's build does not depend on lib's internals.
  const specifier = '../../lib/compression/compression-registry.js';
  try {
    const mod = await import(specifier);
    if (typeof mod.ensureCodec !== 'function') {
      return 'lib/compression has no ensureCodec(): lz4 unavailable';
    }
    await mod.ensureCodec(codec);
  } catch (error) {
    return `lz4 codec not available yet (lib/compression: ${(error as Error).message.split('\n')[0]})`;
  }
  if (!CompressionCodecs[CompressionTypes.LZ4]) {
    return 'ensureCodec("lz4") did not register a kafkajs LZ4 codec';
  }
  return undefined;
}

export function kafkajsCompression(codec: Codec): CompressionTypes {
  return codec === 'lz4' ? CompressionTypes.LZ4 : CompressionTypes.None;
}
