import { createRequire } from 'node:module';
import { ConfigurationError } from '../../errors/configuration.error.js';

const require = createRequire(import.meta.url);

/** The kafkajs release line the internals below were read from (kafkajs's last). */
export const KAFKAJS_RANGE = '~2.2.4';

/** Files of kafkajs (not its public API) that the adapter uses, and what each must export. */
const INTERNALS: ReadonlyArray<{ readonly file: string; readonly exports: string }> = [
  { file: 'kafkajs/src/protocol/requests/produce/index.js', exports: 'protocol' },
  { file: 'kafkajs/src/protocol/encoder.js', exports: '' },
  { file: 'kafkajs/src/protocol/error.js', exports: 'createErrorFromCode' },
];

/** The symbol of kafkajs's internal cluster factory on a Kafka client (see topic-metadata.ts). */
export const CREATE_CLUSTER = 'private:Kafka:createCluster';

function installedVersion(): string {
  try {
    return (require('kafkajs/package.json') as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** A ConfigurationError saying which kafkajs internal is missing, naming the installed version. */
export function kafkajsMismatch(what: string): ConfigurationError {
  return new ConfigurationError(
    `kafkajs ${installedVersion()} lacks ${what}, which nestjs-kafka-producer uses: ` +
      `install kafkajs@${KAFKAJS_RANGE}`,
  );
}

let checked = false;

/**
 * Checks at start-up that the kafkajs internals the adapter relies on are where kafkajs
 * 2.2.4 keeps them, so that another version fails with a ConfigurationError naming it
 * instead of a bare MODULE_NOT_FOUND (or worse) on the first send.
 */
export function checkKafkajsInternals(load: (file: string) => unknown = require): void {
  if (checked && load === require) return;
  for (const { file, exports } of INTERNALS) {
    let module: unknown;
    try {
      module = load(file);
    } catch {
      throw kafkajsMismatch(`'${file}'`);
    }
    const ok =
      exports === ''
        ? typeof module === 'function'
        : typeof (module as Record<string, unknown> | null)?.[exports] === 'function';
    if (!ok) throw kafkajsMismatch(`${exports || 'the class'} of '${file}'`);
  }
  if (load === require) checked = true;
}
