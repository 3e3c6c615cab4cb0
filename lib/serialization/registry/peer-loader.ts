import { createRequire } from 'node:module';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { RegistryMessages } from './registry.messages.js';

/** An optional peer package and the versions supported (its peer range in package.json). */
export interface PeerPackage {
  readonly name: string;
  readonly range: string;
}

/** Avro: avsc 5.7 is the stable line (pure JavaScript, any Node); 6.x is still alpha. */
export const AVSC: PeerPackage = { name: 'avsc', range: '^5.7.0' };
/** Protobuf: protobufjs 7.2.5+ and 8 (pure JavaScript), whose `parse` and reflection API this uses. */
export const PROTOBUFJS: PeerPackage = { name: 'protobufjs', range: '^7.2.5 || ^8.0.0' };
/** JSON Schema: Ajv 8 (drafts 06, 07, 2019-09 and 2020-12). */
export const AJV: PeerPackage = { name: 'ajv', range: '^8.12.0' };

/** Loads a module by id; Node's `require` by default, replaceable in tests. */
export type PeerRequire = (id: string) => unknown;

const nodeRequire: PeerRequire = createRequire(import.meta.url);

/**
 * Loads an optional peer (or one of its files, `ajv/dist/2020`) the first time a serializer
 * needs it. A missing package is a ConfigurationError that names it and its range.
 */
export function loadPeer<T>(
  serializer: string,
  pkg: PeerPackage,
  id: string = pkg.name,
  load: PeerRequire = nodeRequire,
): T {
  try {
    return load(id) as T;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'MODULE_NOT_FOUND' && message.includes(`'${pkg.name}`)) {
      throw new ConfigurationError(RegistryMessages.missingPeer(serializer, pkg.name, pkg.range));
    }
    throw new ConfigurationError(
      RegistryMessages.brokenPeer(serializer, pkg.name, pkg.range, message),
    );
  }
}
