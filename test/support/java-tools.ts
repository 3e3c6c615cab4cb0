import { join } from 'node:path';
import {
  consoleTokens,
  formatterProperties,
  parseConsoleOutput,
  type ConsoleRecord,
} from '../../tools/kafka/console-output.js';
import { runJava } from '../../tools/kafka/java.js';
import { kafkaToolsDir } from '../../tools/kafka/paths.js';

export type { ConsoleRecord } from '../../tools/kafka/console-output.js';

/** Deserializer choices for {@link javaConsoleConsume}. */
export type JavaDeserializer = 'string' | 'integer' | 'bytearray';

const DESERIALIZERS: Record<JavaDeserializer, string | undefined> = {
  string: 'org.apache.kafka.common.serialization.StringDeserializer',
  integer: 'org.apache.kafka.common.serialization.IntegerDeserializer',
  // DefaultMessageFormatter prints deserialized objects with toString(), which for byte[] is
  // "[B@1a2b3c"; with no deserializer it prints the raw bytes, which we return as hex.
  bytearray: undefined,
};

/** Options for {@link javaConsoleConsume}. */
export interface JavaConsumeOptions {
  bootstrap: string;
  topic: string;
  /** Stop after this many records (`--max-messages`). */
  maxMessages: number;
  /** Default 'string'. */
  keyDeserializer?: JavaDeserializer;
  /** Default 'string'. */
  valueDeserializer?: JavaDeserializer;
  /** Give up when no record arrives for this long (`--timeout-ms`). Default 30 s. */
  timeoutMs?: number;
  /** Return what arrived instead of throwing when fewer than maxMessages came. Default false. */
  allowFewer?: boolean;
  /** `read_committed` to see only committed transactional records. Default read_uncommitted. */
  isolationLevel?: 'read_committed' | 'read_uncommitted';
  /** Only this partition (`--partition`, still from the beginning). Default: all. */
  partition?: number;
}

/**
 * Reads a topic from the beginning with Kafka's own console consumer
 * (org.apache.kafka.tools.consumer.ConsoleConsumer, fresh consumer group) and returns the records
 * in the order printed (per partition in offset order). This is the "does a Java consumer see
 * exactly what we produced" check. Limitations of the Java tool itself: with the 'integer'
 * deserializer a null key/value makes it fail (it deserializes the null literal); header values
 * are printed as UTF-8 text and a header key containing ':' cannot be told apart.
 * Throws when fewer than maxMessages arrive within timeoutMs (unless allowFewer).
 */
export async function javaConsoleConsume(opts: JavaConsumeOptions): Promise<ConsoleRecord[]> {
  const tokens = consoleTokens();
  const props: Record<string, string> = { ...formatterProperties(tokens) };
  const keyDeser = DESERIALIZERS[opts.keyDeserializer ?? 'string'];
  const valueDeser = DESERIALIZERS[opts.valueDeserializer ?? 'string'];
  if (keyDeser) props['key.deserializer'] = keyDeser;
  if (valueDeser) props['value.deserializer'] = valueDeser;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const args = [
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    '--bootstrap-server',
    opts.bootstrap,
    '--topic',
    opts.topic,
    '--from-beginning',
    '--max-messages',
    String(opts.maxMessages),
    '--timeout-ms',
    String(timeoutMs),
    '--isolation-level',
    opts.isolationLevel ?? 'read_uncommitted',
    ...(opts.partition === undefined ? [] : ['--partition', String(opts.partition)]),
    ...Object.entries(props).flatMap(([k, v]) => ['--property', `${k}=${v}`]),
  ];
  const result = await runJava(args, { timeoutMs: timeoutMs + 60_000, check: false });
  let records: ConsoleRecord[];
  try {
    records = parseConsoleOutput(result.stdout, tokens, {
      key: keyDeser === undefined,
      value: valueDeser === undefined,
    });
  } catch (err) {
    throw new Error(`${String(err)}\nConsoleConsumer stderr:\n${result.stderr}`);
  }
  const short = records.length < opts.maxMessages;
  // The tool exits 0 when --timeout-ms passes without a record, so a short count is not an error
  // in itself; a non-zero exit (bad option, deserializer error) always is.
  if (result.code !== 0 || (short && !opts.allowFewer)) {
    throw new Error(
      `ConsoleConsumer on ${opts.topic} returned ${records.length}/${opts.maxMessages} records ` +
        `(exit ${result.code ?? result.signal}):\n${result.stderr}\n` +
        `records: ${JSON.stringify(records)}`,
    );
  }
  return records;
}

async function runSourceProgram(file: string, args: string[], lines: string[]): Promise<string[]> {
  const stdin = lines.map((l) => `${l}\n`).join('');
  const { stdout } = await runJava([join(kafkaToolsDir(), file), ...args], { stdin });
  const out = stdout.toString('ascii').split('\n');
  out.pop();
  if (out.length !== lines.length) {
    throw new Error(`${file} printed ${out.length} lines for ${lines.length} inputs`);
  }
  return out;
}

/**
 * Java's keyed-record partition for each key: `Utils.toPositive(Utils.murmur2(key)) %
 * numPartitions`, cross-checked in Java against the producer's BuiltInPartitioner.partitionForKey.
 * One JVM run (about 1 s plus compile) handles any number of keys.
 */
export async function javaPartitionsForKeys(
  keys: Buffer[],
  numPartitions: number,
): Promise<number[]> {
  return (await javaMurmur2(keys, numPartitions)).map((r) => r.partition);
}

/** Like {@link javaPartitionsForKeys} but also returns Java's raw signed murmur2 hash per key. */
export async function javaMurmur2(
  keys: Buffer[],
  numPartitions = 1,
): Promise<Array<{ partition: number; hash: number }>> {
  const lines = keys.map((k) => k.toString('hex'));
  const out = await runSourceProgram('JavaPartitioner.java', [String(numPartitions)], lines);
  return out.map((l) => {
    const [partition, hash] = l.split('\t').map(Number);
    return { partition, hash };
  });
}

/** Kinds of Kafka serializers {@link javaSerialize} can run. */
export type JavaSerializerKind = 'string' | 'integer' | 'long' | 'short' | 'double' | 'float';

/**
 * Serializes values with the Kafka Java client's own serializers (StringSerializer,
 * IntegerSerializer, ...) and returns the bytes, to compare ours byte for byte. Strings travel
 * as UTF-16 code units, so lone surrogates reach Java intact (Java encodes them as `?`, 0x3f,
 * where Node's Buffer.from writes ef bf bd). Numbers travel as decimal text; use bigint or a
 * decimal string for longs beyond 2^53.
 */
export async function javaSerialize(
  kind: JavaSerializerKind,
  values: Array<string | number | bigint>,
): Promise<Buffer[]> {
  const lines = values.map((v) => {
    if (kind === 'string') {
      if (typeof v !== 'string') throw new Error(`javaSerialize('string') needs strings, got ${v}`);
      return Array.from({ length: v.length }, (_, i) =>
        v.charCodeAt(i).toString(16).padStart(4, '0'),
      ).join('');
    }
    if (typeof v === 'number' && Object.is(v, -0)) return '-0.0';
    return String(v);
  });
  const out = await runSourceProgram('JavaSerializers.java', [kind], lines);
  return out.map((hex) => Buffer.from(hex, 'hex'));
}
