import kafkajs, { CompressionTypes } from 'kafkajs';
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../errors/configuration.error.js';
import {
  CODEC_PACKAGES,
  CODEC_RANGES,
  COMPRESSION_CODECS,
  CompressionRegistry,
  compressionType,
  ensureCodec,
  isCodecReady,
  type CodecFactoryMap,
  type CompressionCodec,
} from './compression-registry.js';

/** A stand-in for kafkajs's map: built-in gzip, "not implemented" placeholders for the rest. */
function kafkajsLikeMap(): CodecFactoryMap {
  const notImplemented = () => {
    throw new Error('not implemented');
  };
  return {
    [CompressionTypes.GZIP]: () => ({
      compress: async (b: Buffer) => b,
      decompress: async (b: Buffer) => b,
    }),
    [CompressionTypes.Snappy]: notImplemented,
    [CompressionTypes.LZ4]: notImplemented,
    [CompressionTypes.ZSTD]: notImplemented,
  };
}

/** An importer that counts its calls, with a replaceable implementation (no jest.fn in ESM). */
function countedImporter(impl: (specifier: string) => Promise<unknown>) {
  const importer = Object.assign(
    (specifier: string): Promise<unknown> => {
      importer.calls++;
      return importer.impl(specifier);
    },
    { calls: 0, impl },
  );
  return importer;
}

function moduleNotFound(specifier: string, code = 'ERR_MODULE_NOT_FOUND'): Error {
  return Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/x.js`), {
    code,
  });
}

const fakeLz4 = {
  compressFrame: async (b: Buffer) => Buffer.concat([Buffer.from('z'), b]),
  decompressFrame: async (b: Buffer) => b.subarray(1),
};

describe('compressionType', () => {
  it('maps each codec name to the kafkajs compression type (Kafka attribute bits)', () => {
    expect(COMPRESSION_CODECS.map(compressionType)).toEqual([
      CompressionTypes.None,
      CompressionTypes.GZIP,
      CompressionTypes.Snappy,
      CompressionTypes.LZ4,
      CompressionTypes.ZSTD,
    ]);
    expect(COMPRESSION_CODECS.map(compressionType)).toEqual([0, 1, 2, 3, 4]);
  });

  it.each(['LZ4', 'brotli', '', 'toString', '__proto__', undefined, 3])(
    'throws a ConfigurationError for %p',
    (name) => {
      const call = () => compressionType(name as CompressionCodec);
      expect(call).toThrow(ConfigurationError);
      expect(call).toThrow(/Unknown compression codec .*'none', 'gzip', 'snappy', 'lz4', 'zstd'/);
    },
  );
});

describe('ensureCodec (process-wide, real packages)', () => {
  it('needs nothing for none and gzip', async () => {
    expect(isCodecReady('none')).toBe(true);
    expect(isCodecReady('gzip')).toBe(true);
    await expect(ensureCodec('none')).resolves.toBeUndefined();
    await expect(ensureCodec('gzip')).resolves.toBeUndefined();
  });

  it.each(['snappy', 'lz4', 'zstd'] as const)(
    'loads %s once and registers it in kafkajs CompressionCodecs',
    async (codec) => {
      const factories = kafkajs.CompressionCodecs as CodecFactoryMap;
      const first = ensureCodec(codec);
      expect(ensureCodec(codec)).toBe(first); // concurrent callers share one load
      await first;
      expect(isCodecReady(codec)).toBe(true);
      const registered = factories[compressionType(codec)]() as { compress: unknown };
      expect(typeof registered.compress).toBe('function');
      // The factory kafkajs calls per batch returns the same object: no per-batch allocation.
      expect(factories[compressionType(codec)]()).toBe(registered);
      // After the first load: one shared settled promise, whatever the codec.
      expect(ensureCodec(codec)).toBe(ensureCodec('none'));
    },
  );

  it('rejects (does not throw synchronously) for an unknown codec', async () => {
    const pending = ensureCodec('brotli' as CompressionCodec);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toThrow(ConfigurationError);
  });
});

describe('CompressionRegistry', () => {
  it('names the package to install when it is missing, and retries on the next call', async () => {
    const map = kafkajsLikeMap();
    const importer = countedImporter(async (s) => {
      throw moduleNotFound(s);
    });
    const registry = new CompressionRegistry(map, importer);

    const err = await registry.ensure('lz4').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toBe(
      `Compression 'lz4' needs the optional package "lz4-napi" (^2.8.0), which is not ` +
        'installed: run `npm install lz4-napi@^2.8.0`',
    );
    expect(registry.isReady('lz4')).toBe(false);

    importer.impl = async () => fakeLz4; // installed meanwhile
    await registry.ensure('lz4');
    expect(importer.calls).toBe(2);
    expect(registry.isReady('lz4')).toBe(true);
    const codec = map[CompressionTypes.LZ4]() as { compress(e: { buffer: Buffer }): unknown };
    await expect(codec.compress({ buffer: Buffer.from('ab') })).resolves.toEqual(
      Buffer.from('zab'),
    );
  });

  it.each([
    ['snappy', 'snappy@^7.0.0'],
    ['zstd', '@mongodb-js/zstd@^1.2.2'],
  ] as const)('the %s message names %s (CJS-style MODULE_NOT_FOUND too)', async (codec, pkg) => {
    const registry = new CompressionRegistry(kafkajsLikeMap(), async (s) => {
      throw moduleNotFound(s, 'MODULE_NOT_FOUND');
    });
    await expect(registry.ensure(codec)).rejects.toThrow(`run \`npm install ${pkg}\``);
  });

  it("names the same version ranges as package.json's peerDependencies", () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { peerDependencies: Record<string, string> };
    for (const codec of ['snappy', 'lz4', 'zstd'] as const) {
      expect(manifest.peerDependencies[CODEC_PACKAGES[codec]]).toBe(CODEC_RANGES[codec]);
    }
  });

  it('says the package is installed but broken when it fails to load for another reason', async () => {
    const registry = new CompressionRegistry(kafkajsLikeMap(), async () => {
      throw new Error('Cannot find native binding. npm has a bug related to optional dependencies');
    });
    await expect(registry.ensure('snappy')).rejects.toThrow(
      /package "snappy" is installed but failed to load: Cannot find native binding.*snappy@\^7\.0\.0.*--omit=optional/,
    );
  });

  it('a missing dependency of the package is not reported as the package missing', async () => {
    const registry = new CompressionRegistry(kafkajsLikeMap(), async () => {
      throw moduleNotFound('@napi-rs/snappy-linux-x64-gnu', 'MODULE_NOT_FOUND');
    });
    await expect(registry.ensure('snappy')).rejects.toThrow(/installed but failed to load/);
  });

  it('rejects a package version without the functions it needs', async () => {
    const registry = new CompressionRegistry(kafkajsLikeMap(), async () => ({ compress() {} }));
    await expect(registry.ensure('lz4')).rejects.toThrow(
      'package "lz4-napi" does not export compressFrame and decompressFrame',
    );
  });

  it('takes the binding from the default export when the namespace lacks it', async () => {
    const map = kafkajsLikeMap();
    const registry = new CompressionRegistry(map, async () => ({ default: fakeLz4 }));
    await registry.ensure('lz4');
    const codec = map[CompressionTypes.LZ4]() as { decompress(b: Buffer): Promise<Buffer> };
    await expect(codec.decompress(Buffer.from('zab'))).resolves.toEqual(Buffer.from('ab'));
  });

  it('imports each package once however many callers wait for it', async () => {
    const importer = countedImporter(async () => fakeLz4);
    const registry = new CompressionRegistry(kafkajsLikeMap(), importer);
    await Promise.all(Array.from({ length: 10 }, () => registry.ensure('lz4')));
    await registry.ensure('lz4');
    expect(importer.calls).toBe(1);
  });

  it('keeps a codec someone already registered (e.g. kafkajs-snappy) and imports nothing', async () => {
    const map = kafkajsLikeMap();
    const theirs = { compress: async (b: Buffer) => b, decompress: async (b: Buffer) => b };
    map[CompressionTypes.Snappy] = () => theirs;
    const importer = countedImporter(async () => ({}));
    const registry = new CompressionRegistry(map, importer);
    await registry.ensure('snappy');
    expect(importer.calls).toBe(0);
    expect(map[CompressionTypes.Snappy]()).toBe(theirs);
    expect(registry.isReady('snappy')).toBe(true);
  });

  it('needs no import for none and gzip', async () => {
    const importer = countedImporter(async () => ({}));
    const registry = new CompressionRegistry(kafkajsLikeMap(), importer);
    await registry.ensure('none');
    await registry.ensure('gzip');
    expect(importer.calls).toBe(0);
  });
});
