import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureKafkaJars, javaBin, kafkaToolsDir, repoRoot } from '../kafka/paths.js';
import { ensureRegistryFiles } from './paths.js';

/** One record as ConfluentWireReader.java decoded it. */
export interface WireRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly schemaId: number;
  readonly schemaType: 'AVRO' | 'PROTOBUF' | 'JSON';
  readonly idInHeader: boolean;
  /** Protobuf only. */
  readonly messageIndexes?: number[];
  readonly messageType?: string;
  readonly value: unknown;
}

/** Options of {@link readWithJava}. */
export interface WireReadOptions {
  readonly bootstrap: string;
  readonly topics: readonly string[];
  /** Records to read in all. */
  readonly count: number;
  /** The registry's Confluent API base URL. */
  readonly registryUrl: string;
  /** An Avro reader schema file: decode with schema resolution, as an older consumer would. */
  readonly readerSchemaFile?: string;
  readonly timeoutMs?: number;
}

/**
 * Runs tools/registry/ConfluentWireReader.java (Apache Avro 1.12 and protobuf-java, with the
 * Kafka clients of .kafka/lib) on the JVM the Kafka harness uses, and returns what it decoded:
 * `count` records of the topics, read from the beginning.
 */
export async function readWithJava(options: WireReadOptions): Promise<WireRecord[]> {
  const [kafkaClasspath, files] = await Promise.all([ensureKafkaJars(), ensureRegistryFiles()]);
  const args = [
    '-Xmx256m',
    `-Dlog4j2.configurationFile=${join(kafkaToolsDir(), 'log4j2-tools.properties')}`,
    '-cp',
    `${kafkaClasspath}:${join(files.libDir, '*')}`,
    join(repoRoot(), 'tools', 'registry', 'ConfluentWireReader.java'),
    '--bootstrap',
    options.bootstrap,
    '--topics',
    options.topics.join(','),
    '--count',
    String(options.count),
    '--registry',
    options.registryUrl,
    '--protoc',
    files.protoc,
    '--timeout-ms',
    String(options.timeoutMs ?? 30000),
    ...(options.readerSchemaFile ? ['--reader-schema', options.readerSchemaFile] : []),
  ];
  const child = spawn(javaBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    throw new Error(`ConfluentWireReader failed (exit ${code}):\n${Buffer.concat(err).toString()}`);
  }
  return Buffer.concat(out)
    .toString()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as WireRecord);
}
