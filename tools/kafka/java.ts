import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureKafkaJars, javaBin, kafkaToolsDir } from './paths.js';

/** Output of one finished JVM run. */
export interface JavaResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Options for {@link runJava}. */
export interface RunJavaOptions {
  /** Bytes written to the JVM's stdin, which is then closed. Default: none. */
  stdin?: string | Buffer;
  /** SIGKILL the JVM after this long. Default 120 s. */
  timeoutMs?: number;
  /** Extra JVM flags placed before `-cp`. Default: `-Xmx256m`. */
  jvmArgs?: string[];
  /** Throw when the exit code is not 0 (message includes stderr). Default true. */
  check?: boolean;
}

/**
 * Runs `java <jvmArgs> -Dlog4j2.configurationFile=<tools config> -cp <.kafka/lib/*> <args>` on
 * the Kafka jars (fetched first if needed) and collects stdout as bytes. Kafka's own logging
 * goes to stderr at WARN, so stdout carries only the program's output.
 */
export async function runJava(args: string[], opts: RunJavaOptions = {}): Promise<JavaResult> {
  const classpath = await ensureKafkaJars();
  const log4j = join(kafkaToolsDir(), 'log4j2-tools.properties');
  const argv = [
    ...(opts.jvmArgs ?? ['-Xmx256m']),
    `-Dlog4j2.configurationFile=${log4j}`,
    '-cp',
    classpath,
    ...args,
  ];
  const child = spawn(javaBin(), argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(opts.stdin ?? '');
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((ok, fail) => {
    child.once('error', fail);
    child.once('close', (c, s) => ok([c, s]));
  }).finally(() => clearTimeout(timer));
  const result = {
    code,
    signal,
    stdout: Buffer.concat(out),
    stderr: Buffer.concat(err).toString(),
  };
  if ((opts.check ?? true) && code !== 0) {
    const why = signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exit ${code ?? signal}`;
    throw new Error(`java ${args.slice(0, 2).join(' ')} failed (${why}):\n${result.stderr}`);
  }
  return result;
}
