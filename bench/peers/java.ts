import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureKafkaJars, javaBin, kafkaToolsDir, repoRoot } from '../../tools/kafka/paths.js';
import { KEY_SPACE, PayloadFactory } from '../support/payload.js';
import { processPeakRssMiB } from '../support/procstat.js';
import type { CellResult, CellSpec } from '../support/types.js';

const MiB = 1024 * 1024;

/** The Java producer settings of a run, all explicit (the same as every Node peer's). */
export function javaProducerProps(brokers: readonly string[], spec: CellSpec): string[] {
  const idempotent = spec.shape.acks === -1 && !spec.nonIdempotent;
  return [
    `bootstrap.servers=${brokers.join(',')}`,
    'client.id=bench-java',
    `acks=${spec.shape.acks === -1 ? 'all' : '1'}`,
    `enable.idempotence=${idempotent}`,
    `linger.ms=${spec.tuning.lingerMs ?? 5}`,
    `batch.size=${spec.tuning.batchSize ?? 16384}`,
    `compression.type=${spec.shape.compression}`,
    'max.in.flight.requests.per.connection=5',
    `buffer.memory=${spec.tuning.bufferMemory ?? 33554432}`,
    ...(spec.transactional
      ? [`transactional.id=bench-java-${spec.topic}`, `bench.transaction.records=${spec.batch}`]
      : []),
  ];
}

/** What BenchProducer prints on its last line. */
export interface JavaOutcome {
  sent: number;
  acked: number;
  errors: number;
  windowAcked: number;
  windowErrors: number;
  windowRequests: number | null;
  windowSeconds: number | null;
  recordsPerRequestAvg: number | null;
  batchSizeAvg: number | null;
  firstError: string | null;
}

/** Parses BenchProducer's `result {…}` line out of its stdout, or undefined if there is none. */
export function parseJavaResult(stdout: string): JavaOutcome | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('result {'));
  return line ? (JSON.parse(line.slice('result '.length)) as JavaOutcome) : undefined;
}

const SOURCE = join('bench', 'java', 'BenchProducer.java');
let compiled: Promise<string[]> | undefined;

/**
 * The java arguments that run BenchProducer: compiled once per bench run with `javac` into
 * .build/bench/java when a JDK is there, else run as a single-file source program (JEP 330,
 * compiled in the JVM at each start, before the warm-up's clock starts).
 */
function launcher(): Promise<string[]> {
  compiled ??= (async () => {
    const classpath = await ensureKafkaJars();
    const root = repoRoot();
    const source = join(root, SOURCE);
    const out = join(root, '.build', 'bench', 'java');
    const javac = join(javaBin() === 'java' ? '' : join(javaBin(), '..'), 'javac');
    const classFile = join(out, 'BenchProducer.class');
    if (existsSync(classFile) && statSync(classFile).mtimeMs >= statSync(source).mtimeMs) {
      return ['-cp', `${out}:${classpath}`, 'BenchProducer'];
    }
    try {
      mkdirSync(out, { recursive: true });
      await promisify(execFile)(javac, ['-cp', classpath, '-d', out, source]);
      return ['-cp', `${out}:${classpath}`, 'BenchProducer'];
    } catch {
      return ['-cp', classpath, source];
    }
  })();
  return compiled;
}

export interface JavaHooks {
  onSpawn(child: ChildProcess): void;
  onWindow(edge: 'start' | 'end'): void;
  onProgress?(line: string): void;
}

/**
 * Runs one W1 run of the Java peer (BenchProducer, bench/java) in its own JVM: same
 * settings as the Node peers, warm-up, then the window. The runner samples the JVM's and the
 * brokers' CPU at the window's edges (hooks.onWindow); this returns the counts.
 */
export async function runJavaPeer(spec: CellSpec, hooks: JavaHooks): Promise<CellResult> {
  const start = await launcher();
  const value = new PayloadFactory(spec.shape.size).json(0);
  const args = [
    '-Xms512m',
    '-Xmx512m',
    `-Dlog4j2.configurationFile=${join(kafkaToolsDir(), 'log4j2-tools.properties')}`,
    ...start,
    spec.topic,
    String(spec.shape.size),
    String(spec.shape.keyed ? KEY_SPACE : 0),
    String(spec.warmupMs),
    String(spec.windowMs),
    String(spec.maxInFlight ?? 0),
    value,
    ...javaProducerProps(spec.brokers, spec),
  ];
  const child = spawn(javaBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  hooks.onSpawn(child);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let rss = 0;
  let pending = '';
  const poll = setInterval(() => {
    if (child.pid !== undefined) rss = Math.max(rss, processPeakRssMiB(child.pid) ?? 0);
  }, 200);
  child.stdout.on('data', (d: Buffer) => {
    out.push(d);
    pending += d.toString();
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line === 'window start') hooks.onWindow('start');
      else if (line === 'window end') hooks.onWindow('end');
      nl = pending.indexOf('\n');
    }
  });
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const killer = setTimeout(() => child.kill('SIGKILL'), spec.maxSeconds * 1000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    },
  ).finally(() => {
    clearInterval(poll);
    clearTimeout(killer);
  });
  const base: CellResult = {
    id: spec.id,
    spec,
    status: 'failed',
    records: 0,
    seconds: 0,
    msgPerSec: 0,
    mibPerSec: 0,
    cpuSeconds: 0,
    cpuUsPerRecord: 0,
    peakRssMiB: rss,
    errors: 0,
  };
  const outcome = parseJavaResult(Buffer.concat(out).toString());
  if (code !== 0 || !outcome || !outcome.windowSeconds) {
    const why = Buffer.concat(err).toString().split('\n').slice(-6).join(' ').slice(0, 600);
    const how = signal
      ? `killed by ${signal} (no result within ${spec.maxSeconds} s: hang)`
      : `exit ${code}`;
    return { ...base, note: `BenchProducer ${how}: ${why}` };
  }
  const seconds = outcome.windowSeconds;
  const requests = outcome.windowRequests ?? undefined;
  const none = outcome.windowAcked === 0 ? ['no record acked in the window'] : [];
  return {
    ...base,
    status: outcome.windowAcked > 0 ? 'ok' : 'failed',
    records: outcome.windowAcked,
    seconds,
    msgPerSec: outcome.windowAcked / seconds,
    mibPerSec: (outcome.windowAcked * spec.shape.size) / MiB / seconds,
    produceRequests: requests,
    requestsPerSec: requests !== undefined ? requests / seconds : undefined,
    recordsPerRequest: requests ? outcome.windowAcked / requests : undefined,
    errors: outcome.errors,
    firstError: outcome.firstError ?? undefined,
    ackedTotal: outcome.acked,
    note: [
      ...none,
      `request-total over the window (every request: Produce, plus any Metadata); ` +
        `its records-per-request-avg ${outcome.recordsPerRequestAvg?.toFixed(1) ?? '–'}, batch-size-avg ${outcome.batchSizeAvg?.toFixed(0) ?? '–'} B`,
    ].join('; '),
  };
}
