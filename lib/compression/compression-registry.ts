import kafkajs, { CompressionTypes } from 'kafkajs';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { KafkaJsCodec } from './kafkajs-codec.js';
import { createLz4Codec, LZ4_PACKAGE, LZ4_RANGE, type Lz4Binding } from './lz4.codec.js';
import {
  createSnappyCodec,
  SNAPPY_PACKAGE,
  SNAPPY_RANGE,
  type SnappyBinding,
} from './snappy.codec.js';
import { createZstdCodec, ZSTD_PACKAGE, ZSTD_RANGE, type ZstdBinding } from './zstd.codec.js';

/**
 * Record batch compression, named as Kafka's `compression.type` names it. Default everywhere is
 * `'none'`, as in the Java producer. `'gzip'` is built into kafkajs; `'snappy'`, `'lz4'` and
 * `'zstd'` each need one optional npm package (see {@link CODEC_PACKAGES}), loaded on first use
 * by {@link ensureCodec}.
 */
export type CompressionCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Every {@link CompressionCodec}, in Kafka's attribute order (0 to 4). */
export const COMPRESSION_CODECS: readonly CompressionCodec[] = [
  'none',
  'gzip',
  'snappy',
  'lz4',
  'zstd',
];

/** The codecs that need a package, and which one: the message of a missing package names it. */
export const CODEC_PACKAGES: Readonly<Record<'snappy' | 'lz4' | 'zstd', string>> = {
  snappy: SNAPPY_PACKAGE,
  lz4: LZ4_PACKAGE,
  zstd: ZSTD_PACKAGE,
};

/**
 * The versions of each codec package that are supported, as package.json's peer ranges: the
 * majors that ship their native binary inside npm packages (nothing is downloaded at install).
 */
export const CODEC_RANGES: Readonly<Record<'snappy' | 'lz4' | 'zstd', string>> = {
  snappy: SNAPPY_RANGE,
  lz4: LZ4_RANGE,
  zstd: ZSTD_RANGE,
};

const TYPES: Readonly<Record<CompressionCodec, CompressionTypes>> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** Whether `value` is one of the {@link CompressionCodec} names (lower case, as in Kafka). */
export function isCompressionCodec(value: unknown): value is CompressionCodec {
  return typeof value === 'string' && Object.hasOwn(TYPES, value);
}

function unknownCodec(codec: unknown): ConfigurationError {
  const valid = COMPRESSION_CODECS.map((c) => `'${c}'`).join(', ');
  return new ConfigurationError(
    `Unknown compression codec ${JSON.stringify(codec) ?? String(codec)}: use one of ${valid}`,
  );
}

/**
 * The kafkajs `CompressionTypes` value for a codec name, for `producer.send({ compression })`.
 * Throws {@link ConfigurationError} for a name that is not a {@link CompressionCodec} (names are
 * lower case, as in Kafka's `compression.type`), so a typo in a decorator or module option fails
 * when it is read, not as a broker error later.
 */
export function compressionType(codec: CompressionCodec): CompressionTypes {
  if (!isCompressionCodec(codec)) throw unknownCodec(codec);
  return TYPES[codec];
}

/** Loads a module by name; `import()` by default, replaceable in tests. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/** kafkajs's `CompressionCodecs` map: compression type → factory of a {@link KafkaJsCodec}. */
export type CodecFactoryMap = Record<number, () => unknown>;

interface LoadableCodec {
  readonly packageName: string;
  /** The supported versions (see {@link CODEC_RANGES}). */
  readonly range: string;
  /** Functions the package must export. */
  readonly functions: readonly string[];
  create(binding: any): KafkaJsCodec;
}

const LOADABLE: Readonly<Record<'snappy' | 'lz4' | 'zstd', LoadableCodec>> = {
  snappy: {
    packageName: SNAPPY_PACKAGE,
    range: SNAPPY_RANGE,
    functions: ['compress', 'uncompress'],
    create: (binding: SnappyBinding) => createSnappyCodec(binding),
  },
  lz4: {
    packageName: LZ4_PACKAGE,
    range: LZ4_RANGE,
    functions: ['compressFrame', 'decompressFrame'],
    create: (binding: Lz4Binding) => createLz4Codec(binding),
  },
  zstd: {
    packageName: ZSTD_PACKAGE,
    range: ZSTD_RANGE,
    functions: ['compress', 'decompress'],
    create: (binding: ZstdBinding) => createZstdCodec(binding),
  },
};

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Loads codec packages and registers their codecs in a kafkajs `CompressionCodecs` map, each at
 * most once. The process-wide instance behind {@link ensureCodec} uses kafkajs's own map; tests
 * build their own with a fake map and importer.
 */
export class CompressionRegistry {
  private readonly ready = new Set<CompressionCodec>(['none', 'gzip']);
  private readonly loading = new Map<CompressionCodec, Promise<void>>();

  constructor(
    private readonly codecs: CodecFactoryMap = kafkajs.CompressionCodecs,
    private readonly importModule: ModuleImporter = (specifier) => import(specifier),
  ) {}

  /** Whether `codec` can be used now without awaiting {@link ensure}. */
  isReady(codec: CompressionCodec): boolean {
    return this.ready.has(codec);
  }

  /**
   * Resolves once kafkajs can compress and decompress with `codec`. The first call for a codec
   * imports its package and registers it; later calls return the same settled promise. A codec
   * someone already registered in the map (e.g. kafkajs-snappy) is kept as it is. A failed load
   * is not cached, so installing the package and calling again works.
   */
  ensure(codec: CompressionCodec): Promise<void> {
    if (this.ready.has(codec)) return RESOLVED;
    if (!isCompressionCodec(codec)) return Promise.reject(unknownCodec(codec));
    const type = TYPES[codec];
    let pending = this.loading.get(codec);
    if (!pending) {
      pending = this.load(codec as keyof typeof LOADABLE, type).then(
        () => {
          this.ready.add(codec);
        },
        (err: unknown) => {
          this.loading.delete(codec);
          throw err;
        },
      );
      this.loading.set(codec, pending);
    }
    return pending;
  }

  private async load(codec: keyof typeof LOADABLE, type: CompressionTypes): Promise<void> {
    if (this.hasWorkingCodec(type)) return;
    const spec = LOADABLE[codec];
    let mod: unknown;
    try {
      mod = await this.importModule(spec.packageName);
    } catch (err) {
      throw loadError(codec, spec, err);
    }
    const codecObject = spec.create(pickBinding(codec, spec, mod));
    this.codecs[type] = () => codecObject;
  }

  /** kafkajs's own placeholders for snappy, lz4 and zstd throw "not implemented" when called. */
  private hasWorkingCodec(type: CompressionTypes): boolean {
    const factory = this.codecs[type];
    if (typeof factory !== 'function') return false;
    try {
      const codec = factory() as Partial<KafkaJsCodec> | null | undefined;
      return typeof codec?.compress === 'function' && typeof codec.decompress === 'function';
    } catch {
      return false;
    }
  }
}

/** The binding is the module namespace (CJS named exports) or, failing that, its default export. */
function pickBinding(codec: CompressionCodec, spec: LoadableCodec, mod: unknown): unknown {
  const candidates = [mod, (mod as { default?: unknown } | null)?.default];
  const binding = candidates.find(
    (c) =>
      c !== null &&
      (typeof c === 'object' || typeof c === 'function') &&
      spec.functions.every((f) => typeof (c as Record<string, unknown>)[f] === 'function'),
  );
  if (binding === undefined) {
    throw new ConfigurationError(
      `Compression '${codec}': package "${spec.packageName}" does not export ` +
        `${spec.functions.join(' and ')}; install a supported version: ` +
        `\`npm install ${spec.packageName}@${spec.range}\``,
    );
  }
  return binding;
}

function loadError(codec: CompressionCodec, spec: LoadableCodec, err: unknown): ConfigurationError {
  const { packageName, range } = spec;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
  if (notFound && message.includes(`'${packageName}'`)) {
    return new ConfigurationError(
      `Compression '${codec}' needs the optional package "${packageName}" (${range}), which ` +
        `is not installed: run \`npm install ${packageName}@${range}\``,
    );
  }
  return new ConfigurationError(
    `Compression '${codec}': package "${packageName}" is installed but failed to load: ` +
      `${message}. Supported: ${packageName}@${range}, whose native binary comes in a ` +
      `per-platform optional package; reinstall that version without --omit=optional (and ` +
      `with a lockfile that lists this platform's binary)`,
  );
}

const defaultRegistry = new CompressionRegistry();

/**
 * Makes `codec` usable by every kafkajs client in this process: for `'snappy'`, `'lz4'` and
 * `'zstd'` it imports the codec package (`snappy`, `lz4-napi`, `@mongodb-js/zstd`) on the first
 * call and registers it in kafkajs's `CompressionCodecs`; `'none'` and `'gzip'` need nothing.
 * The producer awaits it before the first send with a codec; after that it returns an already
 * settled promise (no import, no allocation), so it costs nothing on the send path. Registering
 * also lets kafkajs consumers in the process read batches compressed that way, including the
 * xerial-framed snappy the Java producer writes.
 *
 * Rejects with {@link ConfigurationError} for an unknown codec name, a package that is not
 * installed (the message names it) or one that cannot load.
 */
export function ensureCodec(codec: CompressionCodec): Promise<void> {
  return defaultRegistry.ensure(codec);
}

/**
 * Whether `codec` is usable right now (always for `'none'` and `'gzip'`; for the others once
 * {@link ensureCodec} has resolved), for a caller that wants to skip even the `await`.
 */
export function isCodecReady(codec: CompressionCodec): boolean {
  return defaultRegistry.isReady(codec);
}
