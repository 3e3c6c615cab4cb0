import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureKafkaJars, javaBin, kafkaToolsDir } from '../../tools/kafka/paths.js';
import type { CellResult, CellSpec, ModuleTuning, RecordShape } from '../support/types.js';

const MiB = 1024 * 1024;

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a live process in seconds (Linux /proc), or undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/** Peak resident set (VmHWM) of a live process in MiB, or undefined once it is gone. */
function processPeakRssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? (Number(m[1]) * 1024) / MiB : undefined;
  } catch {
    return undefined;
  }
}

/** The Java producer settings of a cell, all explicit. */
export function javaProducerProps(
  brokers: readonly string[],
  shape: RecordShape,
  tuning: ModuleTuning,
): string[] {
  const idempotent = shape.acks === -1;
  return [
    `bootstrap.servers=${brokers.join(',')}`,
    'client.id=bench-java',
    `acks=${idempotent ? 'all' : '1'}`,
    `enable.idempotence=${idempotent}`,
    `linger.ms=${tuning.lingerMs ?? 5}`,
    `batch.size=${tuning.batchSize ?? 16384}`,
    `compression.type=${shape.compression}`,
    'max.in.flight.requests.per.connection=5',
    `buffer.memory=${tuning.bufferMemory ?? 33554432}`,
  ];
}

/** Parsed ProducerPerformance output. */
export interface PerfSummary {
  records: number;
  recordsPerSec: number;
  mibPerSec: number;
  avgMs: number;
  maxMs: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  metrics: Record<string, number>;
}

/**
 * Parses the final summary line (`N records sent, X records/sec (Y MB/sec), A ms avg latency,
 * M ms max latency, a ms 50th, b ms 95th, c ms 99th, d ms 99.9th.`) and, with
 * `--print-metrics`, the `group:name:{tags} : value` metric lines.
 */
export function parsePerfOutput(stdout: string): PerfSummary | undefined {
  const re =
    /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/g;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(stdout); m; m = re.exec(stdout)) last = m;
  if (!last) return undefined;
  const metrics: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    const mm = /^([\w-]+):([\w-]+):\{[^}]*\}\s*:\s*([-\d.E]+|NaN)\s*$/.exec(line.trim());
    if (mm) metrics[`${mm[1]}:${mm[2]}`] = Number(mm[3]);
  }
  const n = (i: number) => Number(last[i]);
  return {
    records: n(1),
    recordsPerSec: n(2),
    mibPerSec: n(3),
    avgMs: n(4),
    maxMs: n(5),
    p50: n(6),
    p95: n(7),
    p99: n(8),
    p999: n(9),
    metrics,
  };
}

/**
 * Runs `org.apache.kafka.tools.ProducerPerformance` from the same jars as the broker, in its
 * own JVM, and reads its summary. CPU and peak RSS are the whole JVM's (start-up included),
 * polled from /proc every 50 ms. `rate` > 0 throttles it (W2); its latency is measured from
 * its own send() call, not from an intended send time.
 */
export async function runProducerPerformance(
  spec: CellSpec,
  onProgress?: (line: string) => void,
  onSpawn?: (child: ChildProcess) => void,
): Promise<CellResult> {
  const classpath = await ensureKafkaJars();
  const args = [
    '-Xmx512m',
    `-Dlog4j2.configurationFile=${join(kafkaToolsDir(), 'log4j2-tools.properties')}`,
    '-cp',
    classpath,
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    spec.topic,
    '--num-records',
    String(spec.records),
    '--record-size',
    String(spec.shape.size),
    '--throughput',
    String(spec.rate ?? -1),
    '--print-metrics',
    '--producer-props',
    ...javaProducerProps(spec.brokers, spec.shape, spec.tuning),
  ];
  const started = performance.now();
  const child = spawn(javaBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  onSpawn?.(child);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let cpu = 0;
  let rss = 0;
  const poll = () => {
    if (child.pid === undefined) return;
    cpu = processCpuSeconds(child.pid) ?? cpu;
    rss = Math.max(rss, processPeakRssMiB(child.pid) ?? 0);
  };
  const timer = setInterval(poll, 50);
  child.stdout.on('data', (d: Buffer) => {
    out.push(d);
    const line = d.toString().trim().split('\n').pop();
    if (line && onProgress) onProgress(line.slice(0, 100));
  });
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const killer = setTimeout(() => child.kill('SIGKILL'), (spec.maxSeconds + 60) * 1000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).finally(() => {
    clearInterval(timer);
    clearTimeout(killer);
  });
  const stdout = Buffer.concat(out).toString();
  const base = {
    id: spec.id,
    spec,
    records: 0,
    seconds: 0,
    msgPerSec: 0,
    mibPerSec: 0,
    cpuSeconds: cpu,
    cpuUsPerRecord: 0,
    peakRssMiB: rss,
    errors: 0,
    wallSeconds: (performance.now() - started) / 1000,
  };
  const summary = parsePerfOutput(stdout);
  if (code !== 0 || !summary) {
    const why = Buffer.concat(err).toString().split('\n').slice(-5).join(' ').slice(0, 400);
    return { ...base, status: 'failed', note: `ProducerPerformance exit ${code}: ${why}` };
  }
  const requests = summary.metrics['producer-metrics:request-total'];
  const perRequest = summary.metrics['producer-metrics:records-per-request-avg'];
  const errorTotal = summary.metrics['producer-metrics:record-error-total'] ?? 0;
  return {
    ...base,
    status: 'ok',
    records: summary.records,
    seconds: summary.records / summary.recordsPerSec,
    msgPerSec: summary.recordsPerSec,
    mibPerSec: summary.mibPerSec,
    cpuUsPerRecord: (cpu * 1e6) / summary.records,
    produceRequests: Number.isFinite(requests) ? requests : undefined,
    recordsPerRequest: Number.isFinite(perRequest) ? perRequest : undefined,
    latency: {
      count: summary.records,
      p50: summary.p50,
      p99: summary.p99,
      p999: summary.p999,
      max: summary.maxMs,
      mean: summary.avgMs,
    },
    errors: errorTotal,
    note:
      'JVM CPU and RSS include start-up; latency from its send() call (ms resolution); ' +
      'request-total counts every request, records-per-request-avg is Produce only',
  };
}
