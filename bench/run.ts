/**
 * `npm run bench [-- --quick] [-- --only=W1,W2] [-- --peers=module,kafkajs]`: the benchmark
 * (bench/README.md says what it measures and how). Starts one local Kafka broker (unless KAFKA_BROKERS is set), runs
 * every cell of the plan in turn, each peer in a fresh child process (Java: its own JVM) against
 * its own fresh topic, and writes bench/results/<date>.json and bench/RESULTS.md.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { KafkaCluster, parseBrokers, repoRoot } from '../tools/kafka/harness.js';
import { javaProducerProps, processCpuSeconds, runProducerPerformance } from './peers/java.js';
import { BASE, buildPlan, shapeLabel, sizing, VARIATIONS } from './plan.js';
import { renderMarkdown, type RunRecord } from './report.js';
import { machineInfo, versions } from './support/machine.js';
import { sleep } from './support/meter.js';
import { Progress } from './support/progress.js';
import type {
  CellResult,
  CellSpec,
  PeerName,
  RunnerMessage,
  WorkerMessage,
  Workload,
} from './support/types.js';

const PARTITIONS = 6;
const BROKER_HEAP_MB = 1024;
const BROKER_CONFIG = { 'file.delete.delay.ms': '1000' };
const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');

interface Args {
  quick: boolean;
  workloads?: Set<Workload>;
  peers?: Set<PeerName>;
  markdown?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false };
  for (const a of argv) {
    if (a === '--quick') args.quick = true;
    else if (a.startsWith('--only=')) {
      args.workloads = new Set(a.slice(7).toUpperCase().split(',') as Workload[]);
    } else if (a.startsWith('--peers=')) {
      args.peers = new Set(a.slice(8).split(',') as PeerName[]);
    } else if (a.startsWith('--md=')) args.markdown = a.slice(5);
    else if (a === '--help' || a === '-h') {
      console.log(
        'npm run bench -- [--quick] [--only=W1,W2,W3,W4,W5] [--peers=module,kafkajs,client-kafka,platformatic,java] [--md=out.md]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  return args;
}

/** What is running right now, so a signal can stop it. */
const live: { child?: ChildProcess; cluster?: KafkaCluster; paused: boolean } = { paused: false };

function resumeBroker(): void {
  if (live.paused && live.cluster) {
    live.cluster.resume(1);
    live.paused = false;
  }
}

/**
 * Creates a cell's topic and waits until all its partitions have leaders. kafkajs's admin
 * can throw a retriable error (e.g. UNKNOWN_TOPIC_OR_PARTITION while it waits for leaders
 * right after creation; seen once in 59 cells): those are retried until the deadline.
 */
async function createTopic(admin: Admin, topic: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  const retriable = (error: unknown) =>
    Date.now() < deadline && (error as { retriable?: boolean }).retriable === true;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      timeout: 30_000,
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
    });
  } catch (error) {
    if (!retriable(error)) throw error;
  }
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = topics[0]?.partitions ?? [];
      if (parts.length === PARTITIONS && parts.every((p) => p.leader >= 0)) return;
    } catch (error) {
      if (!retriable(error)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic} has no leaders after 30 s`);
    await sleep(100);
  }
}

function failed(spec: CellSpec, note: string): CellResult {
  return {
    id: spec.id,
    spec,
    status: 'failed',
    note,
    records: 0,
    seconds: 0,
    msgPerSec: 0,
    mibPerSec: 0,
    cpuSeconds: 0,
    cpuUsPerRecord: 0,
    peakRssMiB: 0,
    errors: 0,
  };
}

/** Runs one cell in a fresh `node --expose-gc worker.js` and relays W3's pause / resume. */
async function runWorker(spec: CellSpec, progress: Progress): Promise<CellResult> {
  const child = fork(WORKER, [JSON.stringify(spec)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  });
  live.child = child;
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let result: CellResult | undefined;
  const tell = (m: RunnerMessage) => {
    if (child.connected) child.send(m);
  };
  child.on('message', (m: WorkerMessage) => {
    if (m.type === 'progress')
      progress.update(`${m.done.toLocaleString('en-US')}/${m.total.toLocaleString('en-US')}`);
    else if (m.type === 'ready') {
      live.cluster?.pause(1);
      live.paused = true;
      progress.update('broker paused');
      tell({ type: 'go' });
    } else if (m.type === 'observed') {
      resumeBroker();
      progress.update('broker resumed, draining');
      tell({ type: 'resumed' });
    } else if (m.type === 'result') result = m.result;
  });
  const limitMs = (spec.maxSeconds + 180) * 1000;
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('exit', (c, s) => resolve([c, s]));
  });
  clearTimeout(killer);
  live.child = undefined;
  resumeBroker();
  if (result) {
    // A failed cell's own words, without stack frames: what the worker printed last.
    const said = output
      .split('\n')
      .filter((line) => line.trim() && !/^\s+at /.test(line))
      .filter((line) => !(result?.note ?? '').includes(line.replace(/^\w*Error( \[\w+\])?: /, '')))
      .slice(-3);
    if (result.status === 'failed' && said.length > 0) {
      result.note = `${result.note ?? ''} | worker output: ${said.join(' | ')}`.slice(0, 1000);
    }
    return result;
  }
  const why = signal ? `killed by ${signal}` : `exit ${code}`;
  return failed(
    spec,
    `worker ${why} without a result: ${output.trim().split('\n').slice(-6).join(' | ')}`,
  );
}

function settings(args: Args, external: boolean, bootstrap: string): Record<string, string> {
  const z = sizing(args.quick);
  const lib = readFileSync(
    join(repoRoot(), 'lib', 'interfaces', 'kafka-producer-options.interface.ts'),
    'utf8',
  );
  const undeclared = ['lingerMs', 'bufferMemory', 'maxBlockMs'].filter((k) => !lib.includes(k));
  return {
    broker: external
      ? `external KAFKA_BROKERS=${bootstrap}`
      : `one local KRaft broker started by the bench (combined broker+controller, heap ${BROKER_HEAP_MB} MiB, ` +
        `${Object.entries(BROKER_CONFIG)
          .map(([k, v]) => `${k}=${v}`)
          .join(
            ', ',
          )}), on the same 2 cores as the clients; loaded for ${args.quick ? 3 : BROKER_WARMUP_MS / 1000} s with kafkajs idempotent sends before the first cell (warmUpBroker)`,
    topics: `a fresh topic per cell, ${PARTITIONS} partitions, replication 1, deleted after the cell`,
    isolation:
      'each Node cell runs in a fresh `node --expose-gc` child that loads only its peer; Java cells in their own JVM (-Xmx512m)',
    'W1 records':
      `${z.records.toLocaleString('en-US')} per cell, or as many as fit in ${z.maxSeconds} s (C=1 cells: ${z.slowSeconds} s), ` +
      `after a warm-up on the same topic of at least max(${args.quick ? 300 : 1000}, 2×C×batch) records and at least ${z.warmupMs / 1000} s, the same for every Node peer (W4 too), so each is measured JIT-warm`,
    'W1 shapes':
      `base ${shapeLabel(BASE)}, every peer; variations (one dimension each): ` +
      `${(args.quick ? VARIATIONS.filter((x) => x.name === 'lz4') : VARIATIONS).map((v) => shapeLabel(v.shape)).join('; ')}` +
      ` with module C=1024, kafkajs sendBatch ×1000${args.quick ? '' : ', ClientKafka C=1024'} and Java (not keyed: ProducerPerformance sends no keys)`,
    'record values':
      'Node peers: the JSON of `{ id, seq, payload }`, exactly the stated size, built per record (raw clients: JSON.stringify per record); ' +
      'the payload is one random A–Z string reused by every record, as ProducerPerformance --record-size does; keys (keyed) `k` + 8 digits over 100,000 keys. ' +
      'The module additionally validates each DTO with class-validator (its default) and adds an `x-event-id` header (UUIDv7) to every record',
    module:
      "KafkaProducerModule.forRoot({ client: { brokers, clientId, logLevel: NOTHING }, reliability: 'all' (acks all) | 'leader' (acks 1), producer: { compression, lingerMs, batchSize, bufferMemory, maxBlockMs } }) in a Nest application context; " +
      "a decorated DTO class per topic (@KafkaEvent(topic), @KeyedBy('id') when keyed)" +
      (undeclared.length > 0
        ? `; ${undeclared.join(', ')} passed through a cast: ProducerSettings does not declare them in this build`
        : ''),
    kafkajs:
      'acks all: producer({ idempotent: true, maxInFlightRequests: 5 }); acks 1: producer() defaults; send() with one message per call, or sendBatch() of 100 / 1000 messages, one call at a time',
    ClientKafka:
      '@nestjs/microservices ClientKafka({ producerOnlyMode: true, producer: same as kafkajs, send: { acks, compression } }), emit(topic, data) per message awaited with lastValueFrom; keyed: emit(topic, { key, value })',
    platformatic:
      '@platformatic/kafka 1.x (2.x requires Node ≥ 22), Producer({ serializers: stringSerializers, idempotent: acks all, acks, compression }); its idempotent producer forces one request in flight',
    Java: `org.apache.kafka.tools.ProducerPerformance --num-records N --record-size S --throughput -1 --print-metrics --producer-props ${javaProducerProps(['<broker>'], BASE, { lingerMs: 5, batchSize: 16384 }).slice(1).join(' ')} (acks 1 cells: acks=1 enable.idempotence=false; lz4 cells: compression.type=lz4)`,
    W2: `offered ${z.rates.map((r) => `${r.toLocaleString('en-US')}/s`).join(' and ')} for ${z.latencySeconds} s each, open loop (1 ms ticker), latency from the intended send time, hdr-histogram-js at 3 significant digits`,
    W3: external
      ? 'not run: the broker is external'
      : `broker SIGSTOPped (harness pause) for ${z.w3.pauseMs} ms while ${z.w3.concurrency} callers each fire ${z.w3.perCaller} sends of ${shapeLabel(BASE)} without awaiting; module with bufferMemory ${z.w3.bufferMemory >> 20} MiB, maxBlockMs ${z.w3.maxBlockMs}`,
    W4: `module send() C=1024, ${shapeLabel(BASE)}, lingerMs ${z.w4.lingers.join('/')} × batchSize ${z.w4.batchSizes.map((b) => `${b / 1024}K`).join('/')}, ${z.w4.records.toLocaleString('en-US')} records or ${z.w4.maxSeconds} s a cell`,
    W5: `${z.microIterations.toLocaleString('en-US')} iterations per step after a warm-up, keyed DTO of 100 B and 1 KiB, building blocks called directly (lib/metadata, lib/validation, lib/record), no producer`,
    'requests counted':
      'Produce requests seen on the wire by a wrapper around net.Socket#write in each worker (same for every Node peer, no client internals); Java: its producer metrics',
  };
}

function derivedNotes(cells: CellResult[]): string[] {
  const notes: string[] = [];
  const mod = cells.filter(
    (c) =>
      c.status === 'ok' &&
      c.spec.peer === 'module' &&
      c.spec.mode === 'send' &&
      c.spec.concurrency > 1 &&
      c.spec.workload !== 'W3',
  );
  if (mod.length > 0 && mod.every((c) => (c.recordsPerRequest ?? 1) < 1.5)) {
    notes.push(
      'The module sent about one record per Produce request in every send() cell: this build has no record accumulator, so lingerMs / batchSize / bufferMemory / maxBlockMs have no effect on batching yet (W4 cells should all look alike).',
    );
  }
  const seq = cells.find(
    (c) =>
      c.spec.peer === 'platformatic' && /out of order sequence/i.test(`${c.note} ${c.firstError}`),
  );
  if (seq) {
    notes.push(
      '@platformatic/kafka: its idempotent producer failed with OUT_OF_ORDER_SEQUENCE_NUMBER once sends overlapped ' +
        `(${seq.spec.workload} ${seq.spec.label}); rows marked "(not idempotent)" use acks all without idempotence instead. ` +
        'One batched call at a time (send ×1000) works idempotent.',
    );
  }
  const lz4 = cells.filter((c) => c.status === 'skipped' && c.spec.shape.compression === 'lz4');
  if (lz4.length > 0) {
    const peers = [...new Set(lz4.map((c) => c.spec.peer))].join(', ');
    notes.push(`lz4 cells skipped for ${peers}: ${lz4[0].note ?? ''}`);
  }
  return notes;
}

/** How long a fresh broker is loaded before the first cell (full runs). */
const BROKER_WARMUP_MS = 15_000;

/**
 * Loads a fresh broker before the first cell, so that the JVM has compiled its produce path
 * and the first cells (the module's, by the plan's order) do not pay for the broker's own
 * warm-up: in a run without it the first cell saw 3× the broker CPU of the same cell later.
 * Batched and single acks-all idempotent sends from the runner (not a measured process) to
 * a topic of its own, deleted afterwards.
 */
async function warmUpBroker(
  brokers: string[],
  admin: Admin,
  runId: string,
  ms: number,
): Promise<void> {
  const topic = `bench-broker-warmup-${runId}`;
  await admin.createTopics({
    topics: [{ topic, numPartitions: 6, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  const kafka = new Kafka({ clientId: 'bench-warmup', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  const value = Buffer.alloc(1024, 'x');
  const batch = Array.from({ length: 500 }, () => ({ value }));
  const end = performance.now() + ms;
  let records = 0;
  try {
    while (performance.now() < end) {
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: batch }] });
      await Promise.all(
        Array.from({ length: 20 }, () => producer.send({ acks: -1, topic, messages: [{ value }] })),
      );
      records += batch.length + 20;
    }
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  }
  console.log(
    `bench: broker warmed up with ${records.toLocaleString('en-US')} records in ${ms} ms`,
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const started = new Date();
  const t0 = performance.now();
  const given = parseBrokers(process.env.KAFKA_BROKERS);
  let brokers: string[];
  if (given) {
    brokers = given;
    console.log(
      `bench: using KAFKA_BROKERS=${brokers.join(',')} (W3 needs its own broker and is skipped)`,
    );
  } else {
    console.log('bench: starting a local Kafka broker…');
    live.cluster = await KafkaCluster.start({
      brokers: 1,
      heapMb: BROKER_HEAP_MB,
      brokerConfig: BROKER_CONFIG,
    });
    brokers = live.cluster.bootstrap.split(',');
    console.log(`bench: broker up at ${live.cluster.bootstrap}`);
  }
  const brokerPid = live.cluster?.brokers[0]?.pid;
  const runId = started.toISOString().slice(11, 19).replace(/:/g, '');
  const plan = buildPlan({
    quick: args.quick,
    brokers,
    runId,
    external: Boolean(given),
    workloads: args.workloads,
    peers: args.peers,
  });
  const admin = new Kafka({ clientId: 'bench-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await warmUpBroker(brokers, admin, runId, args.quick ? 3_000 : BROKER_WARMUP_MS);
  const stamp = started
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  const resultsDir = join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonFile = join(resultsDir, `${stamp}${args.quick ? '-quick' : ''}.json`);
  const mdFile =
    args.markdown ?? join(root, 'bench', args.quick ? 'RESULTS.quick.md' : 'RESULTS.md');
  const record: RunRecord = {
    startedAt: started.toISOString(),
    finishedAt: '',
    wallSeconds: 0,
    mode: args.quick ? 'quick' : 'full',
    argv: process.argv.slice(2),
    machine: machineInfo(),
    versions: versions(root),
    broker: given
      ? { external: true, bootstrap: brokers.join(',') }
      : {
          external: false,
          bootstrap: brokers.join(','),
          heapMb: BROKER_HEAP_MB,
          config: BROKER_CONFIG,
        },
    settings: settings(args, Boolean(given), brokers.join(',')),
    notes: [],
    cells: [],
  };
  const save = () => {
    record.finishedAt = new Date().toISOString();
    record.wallSeconds = (performance.now() - t0) / 1000;
    record.notes = derivedNotes(record.cells);
    writeFileSync(jsonFile, `${JSON.stringify(record, null, 2)}\n`);
  };
  const progress = new Progress(plan.length);
  console.log(
    `bench: ${plan.length} cells (${args.quick ? 'quick' : 'full'}); results → ${relative(process.cwd(), jsonFile)}`,
  );
  try {
    for (const [i, spec] of plan.entries()) {
      progress.start(i, spec);
      const cellStart = performance.now();
      let result: CellResult;
      try {
        if (spec.workload !== 'W5') await createTopic(admin, spec.topic);
        const cpu0 = brokerPid ? processCpuSeconds(brokerPid) : undefined;
        result =
          spec.peer === 'java'
            ? await runProducerPerformance(
                spec,
                (line) => progress.update(line),
                (child) => (live.child = child),
              )
            : await runWorker(spec, progress);
        live.child = undefined;
        const cpu1 = brokerPid ? processCpuSeconds(brokerPid) : undefined;
        if (cpu0 !== undefined && cpu1 !== undefined && spec.workload !== 'W5') {
          result.brokerCpuSeconds = cpu1 - cpu0;
        }
      } catch (error) {
        result = failed(
          spec,
          `${(error as Error).name}: ${(error as Error).message}`.slice(0, 400),
        );
      }
      result.wallSeconds = (performance.now() - cellStart) / 1000;
      if (spec.workload !== 'W5') {
        await admin.deleteTopics({ topics: [spec.topic], timeout: 10_000 }).catch(() => undefined);
      }
      progress.finish(result);
      record.cells.push(result);
      save();
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
    if (live.cluster) {
      resumeBroker();
      await live.cluster.stop();
      live.cluster = undefined;
    }
  }
  save();
  writeFileSync(mdFile, renderMarkdown(record, jsonFile));
  const bad = record.cells.filter((c) => c.status !== 'ok');
  console.log(
    `bench: done in ${(record.wallSeconds / 60).toFixed(1)} min; ${record.cells.length - bad.length} ok, ` +
      `${bad.filter((c) => c.status === 'skipped').length} skipped, ${bad.filter((c) => c.status === 'failed').length} failed`,
  );
  console.log(
    `bench: wrote ${relative(process.cwd(), jsonFile)} and ${relative(process.cwd(), mdFile)}`,
  );
}

let stopping = false;
async function stopOnSignal(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error(`\nbench: ${signal}: stopping the current cell and the broker`);
  live.child?.kill('SIGKILL');
  resumeBroker();
  await live.cluster?.stop({ timeoutMs: 5000 }).catch(() => undefined);
  process.exit(130);
}
process.on('SIGINT', (s) => void stopOnSignal(s));
process.on('SIGTERM', (s) => void stopOnSignal(s));

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    console.error(error);
    live.child?.kill('SIGKILL');
    resumeBroker();
    await live.cluster?.stop({ timeoutMs: 5000 }).catch(() => undefined);
    process.exit(1);
  },
);
