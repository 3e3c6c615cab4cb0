/**
 * `npm run bench [-- options]`: the benchmark (bench/README.md says what it measures, how,
 * and the options). Starts a local 1-broker and then a 3-broker Kafka cluster (unless
 * KAFKA_BROKERS is set), runs the plan's runs in order, each peer in a fresh child process
 * (Java: its own JVM) against its own fresh topic, and writes bench/results/<date>.json,
 * bench/RESULTS.md and its chart.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { KafkaCluster, parseBrokers, repoRoot } from '../tools/kafka/harness.js';
import { SchemaRegistryServer } from '../tools/registry/harness.js';
import { runJavaPeer } from './peers/java.js';
import { moduleEntry } from './peers/module.js';
import {
  buildPlan,
  DEFAULT_WORKLOADS,
  estimateSeconds,
  matrixCells,
  sizing,
  type PlanOptions,
} from './plan.js';
import { chartFileFor, renderChart, renderMarkdown, type RunRecord } from './report.js';
import { machineInfo, versions } from './support/machine.js';
import { describeError, sleep } from './support/meter.js';
import { verifyCount } from './support/verify.js';
import { processCpuSeconds, totalCpuSeconds } from './support/procstat.js';
import { Progress } from './support/progress.js';
import {
  PEER_NAMES,
  type CellResult,
  type CellSpec,
  type PeerName,
  type RunnerMessage,
  type WorkerMessage,
  type Workload,
} from './support/types.js';

const BROKER_HEAP_MB = 1024;
/**
 * Deleted topics' files go after 0.1 s, not a minute (the broker's name for the topic-level
 * file.delete.delay.ms), so a run's deletion ends before the next run, not in a later window.
 */
const BROKER_CONFIG = { 'log.segment.delete.delay.ms': '100' };
const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');

interface Args {
  quick: boolean;
  workloads?: Set<Workload>;
  peers?: Set<PeerName>;
  markdown?: string;
  rounds?: number;
  cells?: RegExp;
  moduleDir?: string;
  beforeDir?: string;
  windowMs?: number;
  warmupMs?: number;
  clusters?: number[];
  replication3?: number;
  javaInFlight?: number;
  planOnly: boolean;
}

const HELP = `npm run bench -- [options]
  --quick                 smoke run of every path (~4 min): short windows, few cells
  --only=W1,…,W6          workloads (default W1,W2,W3,W5,W6; W4 is the module's tuning sweep)
  --peers=a,b             peers: ${PEER_NAMES.join(', ')}
  --cells=REGEX           W1 cells whose key matches, e.g. '100B-1b-(6|64)p-keyless'
  --brokers=1,3           cluster sizes to run (default 1,3)
  --rounds=N              rounds of every W1 cell (default 3 core, 2 scaling; quick 2 / 1)
  --window=S --warmup=S   W1 window and warm-up in seconds (default 10 and 3; quick 3 and 1)
  --module=DIR            the module peer loads the build in DIR (.build/lib, dist or index.js)
  --before=DIR            adds peer module@before, the build in DIR, in the same rounds
  --replication=N         replication factor on the 3-broker cluster (default 3)
  --java-inflight=N       the Java peer keeps at most N records unacked (default: buffer.memory bounds it)
  --md=FILE               write the markdown elsewhere
  --plan                  print the plan and its estimated time, run nothing`;

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, planOnly: false };
  const list = (v: string) => v.split(',').filter(Boolean);
  const seconds = (v: string) => {
    const n = Number(v);
    if (!(n > 0)) throw new Error(`not a positive number of seconds: ${v}`);
    return n * 1000;
  };
  for (const a of argv) {
    const [flag, value = ''] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a];
    switch (flag) {
      case '--quick':
        args.quick = true;
        break;
      case '--plan':
        args.planOnly = true;
        break;
      case '--only':
        args.workloads = new Set(list(value.toUpperCase()) as Workload[]);
        break;
      case '--peers': {
        const peers = list(value) as PeerName[];
        const bad = peers.filter((p) => !PEER_NAMES.includes(p));
        if (bad.length)
          throw new Error(`unknown peer ${bad.join(', ')} (known: ${PEER_NAMES.join(', ')})`);
        args.peers = new Set(peers);
        break;
      }
      case '--cells':
        args.cells = new RegExp(value);
        break;
      case '--brokers':
        args.clusters = list(value).map(Number);
        if (args.clusters.some((n) => n !== 1 && n !== 3))
          throw new Error('--brokers takes 1 and/or 3');
        break;
      case '--rounds':
        args.rounds = Number(value);
        if (!(args.rounds >= 1)) throw new Error(`--rounds=${value}: at least 1`);
        break;
      case '--window':
        args.windowMs = seconds(value);
        break;
      case '--warmup':
        args.warmupMs = seconds(value);
        break;
      case '--module':
        args.moduleDir = resolve(value);
        moduleEntry(args.moduleDir);
        break;
      case '--before':
        args.beforeDir = resolve(value);
        moduleEntry(args.beforeDir);
        break;
      case '--replication':
        args.replication3 = Number(value);
        break;
      case '--java-inflight':
        args.javaInFlight = Number(value);
        if (!(args.javaInFlight >= 1)) throw new Error(`--java-inflight=${value}: at least 1`);
        break;
      case '--md':
        args.markdown = value;
        break;
      case '--help':
      case '-h':
        console.log(HELP);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${a} (try --help)`);
    }
  }
  return args;
}

/** What is running right now, so a signal can stop it. */
const live: {
  child?: ChildProcess;
  cluster?: KafkaCluster;
  registry?: SchemaRegistryServer;
  paused: boolean;
} = { paused: false };

function resumeBroker(): void {
  if (live.paused && live.cluster) {
    live.cluster.resume(1);
    live.paused = false;
  }
}

/**
 * Creates a run's topic and waits until all its partitions have leaders. kafkajs's admin
 * can throw a retriable error (e.g. UNKNOWN_TOPIC_OR_PARTITION while it waits for leaders
 * right after creation): those are retried until the deadline.
 */
async function createTopic(
  admin: Admin,
  topic: string,
  partitions: number,
  replication: number,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  const retriable = (error: unknown) =>
    Date.now() < deadline && (error as { retriable?: boolean }).retriable === true;
  const configEntries =
    replication > 1
      ? [{ name: 'min.insync.replicas', value: String(Math.min(2, replication)) }]
      : [];
  try {
    await admin.createTopics({
      waitForLeaders: true,
      timeout: 60_000,
      topics: [{ topic, numPartitions: partitions, replicationFactor: replication, configEntries }],
    });
  } catch (error) {
    if (!retriable(error)) throw error;
  }
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = topics[0]?.partitions ?? [];
      const ready = (p: (typeof parts)[number]) => p.leader >= 0 && p.isr.length >= replication;
      if (parts.length === partitions && parts.every(ready)) return;
    } catch (error) {
      if (!retriable(error)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic} has no leaders after 60 s`);
    await sleep(100);
  }
}

/** The broker's count of a topic's records: the sum over partitions of high − low watermark. */
async function brokerRecordCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/**
 * Waits (up to 15 s) until no broker of the cluster started by the bench still holds a deleted
 * partition's folder (`<topic>-<partition>.<id>-delete`), so that a run's broker CPU does not
 * pay for deleting the previous run's topic.
 */
async function waitForDeletion(dataDir: string | undefined): Promise<void> {
  if (!dataDir) return;
  const pending = () =>
    readdirSync(dataDir)
      .filter((d) => d.startsWith('node-'))
      .map((d) => join(dataDir, d, 'data'))
      .filter((d) => existsSync(d))
      .some((d) => readdirSync(d).some((f) => f.endsWith('-delete')));
  const deadline = Date.now() + 15_000;
  while (pending() && Date.now() < deadline) await sleep(100);
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

/** Runs one spec in a fresh `node --expose-gc worker.js`; relays W3's pause / resume. */
async function runWorker(
  spec: CellSpec,
  progress: Progress,
  onWindow: (edge: 'start' | 'end') => void,
): Promise<CellResult> {
  const child = fork(WORKER, [JSON.stringify(spec)], {
    execArgv: ['--expose-gc', ...(spec.nodeArgs ?? [])],
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
    if (m.type === 'progress') {
      progress.update(
        `${m.done.toLocaleString('en-US')}${m.total ? `/${m.total.toLocaleString('en-US')}` : ' acked'}`,
      );
    } else if (m.type === 'window') {
      onWindow(m.edge);
    } else if (m.type === 'ready') {
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
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, spec.maxSeconds * 1000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((ok) => {
    child.once('exit', (c, s) => ok([c, s]));
  });
  clearTimeout(killer);
  live.child = undefined;
  resumeBroker();
  if (result) {
    // A failed run's own words, without stack frames: what the worker printed last.
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
  const why = signal
    ? `killed by ${signal}${timedOut ? ` after ${spec.maxSeconds} s (hang)` : ''}`
    : `exit ${code}`;
  return failed(
    spec,
    `worker ${why} without a result: ${output.trim().split('\n').slice(-6).join(' | ')}`,
  );
}

interface Sample {
  client?: number;
  broker?: number;
}

/**
 * One run: a fresh topic, the peer in its own process, CPU of the peer's process and of every
 * broker JVM read from /proc at the window's edges, then the broker's record count checked
 * against the records the peer acked, and the topic deleted.
 */
/** What the runner uses on one cluster: its admin client and the broker pids. */
interface ClusterTools {
  kafka: Kafka;
  admin: Admin;
  pids: number[];
}

/**
 * Writes a record to every partition of a fresh topic (plain producer, acks all) before the
 * peer starts, and returns the broker's record count then. A broker hosts a new partition
 * some time after the metadata shows its leader (writes meanwhile fail with "does not host
 * this topic-partition" and are retried): here about 3 s for 64 new partitions and 8.5 s for
 * 256. Without this, that wait would land in the warm-up of 64- and 256-partition runs and
 * in part of their window. A partly failed request may be retried whole, so the count taken
 * afterwards (not the number of partitions) is what the verification subtracts.
 */
async function touchPartitions(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  partitions: number,
): Promise<number> {
  // A producer of its own each time: a kafkajs producer that ever wrote to a topic since
  // deleted keeps asking for its metadata, and then every send fails.
  const toucher = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 2 } });
  await toucher.connect();
  try {
    return await touchWith(toucher, admin, topic, partitions);
  } finally {
    await toucher.disconnect().catch(() => undefined);
  }
}

async function touchWith(
  toucher: Producer,
  admin: Admin,
  topic: string,
  partitions: number,
): Promise<number> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    let empty: number[] = [];
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      empty = offsets.filter((p) => Number(p.high) === 0).map((p) => p.partition);
      if (offsets.length === partitions && empty.length === 0) {
        return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
      }
    } catch {
      // not every partition is hosted yet
    }
    if (Date.now() > deadline) {
      throw new Error(`topic ${topic}: ${empty.length} partitions still not writable after 90 s`);
    }
    const targets = empty.length > 0 ? empty : Array.from({ length: partitions }, (_, i) => i);
    try {
      await toucher.send({
        topic,
        acks: -1,
        messages: targets.map((partition) => ({ partition, value: 't' })),
      });
    } catch {
      await sleep(200);
    }
  }
}

async function runOne(
  spec: CellSpec,
  tools: ClusterTools | undefined,
  progress: Progress,
): Promise<CellResult> {
  const admin = tools?.admin;
  const brokerPids = tools?.pids ?? [];
  const started = performance.now();
  const samples: { start?: Sample; end?: Sample } = {};
  let childPid: number | undefined;
  const onWindow = (edge: 'start' | 'end') => {
    samples[edge] = {
      client: childPid !== undefined ? processCpuSeconds(childPid) : undefined,
      broker: brokerPids.length > 0 ? totalCpuSeconds(brokerPids) : undefined,
    };
    progress.update(`window ${edge === 'start' ? 'open' : 'closed'}`);
  };
  let result: CellResult;
  try {
    let touched = 0;
    if (tools) {
      await createTopic(tools.admin, spec.topic, spec.partitions, spec.replication);
      touched = await touchPartitions(tools.kafka, tools.admin, spec.topic, spec.partitions);
    }
    if (spec.peer === 'java') {
      result = await runJavaPeer(spec, {
        onSpawn: (child) => {
          live.child = child;
          childPid = child.pid;
        },
        onWindow,
      });
      live.child = undefined;
    } else {
      const run = runWorker(spec, progress, onWindow);
      childPid = live.child?.pid;
      result = await run;
    }
    const windowed =
      spec.workload === 'W1' ||
      spec.workload === 'W4' ||
      spec.workload === 'W6' ||
      (spec.workload === 'W2' && !spec.rate);
    if (windowed && result.status === 'ok') {
      const { start, end } = samples;
      if (start?.client === undefined || end?.client === undefined) {
        result.status = 'failed';
        result.note = [result.note, 'the window edges were not seen: no CPU figures']
          .filter(Boolean)
          .join('; ');
      } else {
        result.cpuSeconds = end.client - start.client;
        result.cpuUsPerRecord = (result.cpuSeconds * 1e6) / result.records;
        if (start.broker !== undefined && end.broker !== undefined) {
          result.brokerCpuSeconds = end.broker - start.broker;
          result.brokerCpuPerMillion = (result.brokerCpuSeconds * 1e6) / result.records;
        }
      }
    }
    if (admin && result.ackedTotal !== undefined && spec.workload !== 'W5') {
      // The broker's count less the records touchPartitions wrote.
      result.brokerRecords = (await brokerRecordCount(admin, spec.topic)) - touched;
      // Exact only when every send settled, each one acked.
      const strict = result.errors === 0 && !result.pendingAtEnd && spec.workload !== 'W3';
      const problem = strict ? verifyCount(spec, result.brokerRecords, result.ackedTotal) : '';
      if (problem && result.status === 'ok') {
        result.status = 'failed';
        result.note = [result.note, `verification failed: ${problem}`].filter(Boolean).join('; ');
      }
    }
  } catch (error) {
    result = failed(spec, `${(error as Error).name}: ${(error as Error).message}`.slice(0, 400));
  } finally {
    live.child = undefined;
  }
  if (admin) {
    await admin.deleteTopics({ topics: [spec.topic], timeout: 30_000 }).catch(() => undefined);
    await waitForDeletion(live.cluster?.dataDir);
  }
  result.wallSeconds = (performance.now() - started) / 1000;
  return result;
}

/**
 * Loads a fresh cluster before its first run, so that the JVMs have compiled their produce
 * path and the first runs do not pay for the brokers' own warm-up. Batched and single acks
 * all idempotent sends from the runner (not a measured process) to a topic of its own.
 */
async function warmUpBrokers(
  brokers: string[],
  admin: Admin,
  topic: string,
  replication: number,
  ms: number,
): Promise<void> {
  // 64 partitions: requests of many partitions as well as few, so more of the broker's produce
  // path is compiled before the first window (its C2 compiler thread was seen busy in early runs).
  await createTopic(admin, topic, 64, replication);
  const kafka = new Kafka({ clientId: 'bench-warmup', brokers, logLevel: logLevel.NOTHING });
  await touchPartitions(kafka, admin, topic, 64);
  const value = Buffer.alloc(1024, 'x');
  const batch = Array.from({ length: 500 }, () => ({ value }));
  const end = performance.now() + ms;
  let records = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  // Batches over all 64 partitions from a plain producer (acks all), single records from an
  // idempotent one: kafkajs's idempotent producer fails with OUT_OF_ORDER_SEQUENCE_NUMBER on
  // batches over many partitions. A failure (not measured) gets new producers.
  try {
    while (performance.now() < end) {
      const plain = kafka.producer();
      const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
      try {
        await plain.connect();
        await idempotent.connect();
        while (performance.now() < end) {
          await plain.sendBatch({ acks: -1, topicMessages: [{ topic, messages: batch }] });
          await idempotent.send({ acks: -1, topic, messages: [{ value }] });
          records += batch.length + 1;
        }
      } catch (error) {
        failures++;
        firstFailure ??= describeError(error);
      } finally {
        await plain.disconnect().catch(() => undefined);
        await idempotent.disconnect().catch(() => undefined);
      }
    }
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await waitForDeletion(live.cluster?.dataDir);
  }
  if (failures > 0) {
    console.log(`bench: ${failures} warm-up call(s) failed (not measured): ${firstFailure}`);
  }
  console.log(
    `bench: brokers warmed up with ${records.toLocaleString('en-US')} records in ${ms / 1000} s`,
  );
}

function gitCommit(dir: string): string | undefined {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

function settings(args: Args, o: PlanOptions): Record<string, string> {
  const z = sizing(args.quick);
  const warm = (o.warmupMs ?? z.warmupMs) / 1000;
  const window = (o.windowMs ?? z.windowMs) / 1000;
  return {
    clusters: o.external
      ? `external KAFKA_BROKERS (${o.clusterSizes[0]} broker(s)); no broker CPU figures`
      : `local KRaft clusters started by the bench (combined broker+controller nodes, heap ${BROKER_HEAP_MB} MiB each, log.segment.delete.delay.ms=100; before each run the bench waits until the brokers have deleted the previous run's topic files) on the same 2 cores as the clients: 1 broker, then 3 brokers; each loaded for ${z.brokerWarmupMs / 1000} s with kafkajs idempotent sends before its first run`,
    topics: `a fresh topic per run (every peer, every round), deleted afterwards; replication 1 on 1 broker, ${Math.min(3, o.replication3 ?? 3)} on 3 brokers (min.insync.replicas 2)`,
    'W1 method': `every run in a fresh process; the peer sends without a break for ${warm} s of warm-up, then its acks are counted over a ${window} s window; rounds alternate the peers (A B C, B C A, C A B, …), a round visits every cell before the next round starts; figures are medians over rounds, with the per-round min–max`,
    'W1 settings': `every peer: acks all + idempotence, linger 5 ms, batch 16 KiB, no compression; module send() from 1024 callers each awaiting its send (closed loop), keyless or keyed over 1000 keys (@KeyedBy); kafkajs 2.2.4 sendBatch of 1000 from 4 loops, one idempotent producer (maxInFlightRequests 5); @platformatic/kafka send of 1000 messages, one call at a time (its idempotent producer fails with overlapping calls); Java: the repo's BenchProducer (bench/java), one KafkaProducer sending as fast as send() accepts (bounded by buffer.memory 32 MiB, like ProducerPerformance), max.in.flight 5`,
    'W1 columns':
      'records/s: acks in the window ÷ window; client CPU: utime+stime of the peer process (whole JVM for Java) over the window from /proc, per record; broker CPU: utime+stime of every broker JVM over the window, per million records; requests: Produce requests on the wire (Node: a counter around net.Socket#write) or request-total (Java metrics) over the window',
    verification:
      'after each run the sum of the topic’s end offsets must equal every record the peer acked over the run (warm-up, window, drain); a run that fails this is dropped from the medians',
    'record values':
      'Node peers: the JSON of `{ id, seq, payload }`, exactly the stated size, built per record (raw clients: JSON.stringify per record); the module also validates each DTO (class-validator, its default) and adds an `x-event-id` header; Java sends record 0’s JSON bytes for every record (as ProducerPerformance sends one payload)',
    W2: `one caller, closed loop, 1 KiB keyless: module lingerMs 0 vs kafkajs send(), ${z.latency.rounds} rounds of ${z.latency.windowMs / 1000} s after ${z.latency.warmupMs / 1000} s; open loop at ${z.rates.map((r) => `${r.toLocaleString('en-US')}/s`).join(' and ')} for ${z.openLoopSeconds} s, latency from the intended send time`,
    W3: o.external
      ? 'not run: the broker is external'
      : `broker SIGSTOPped for ${z.w3.pauseMs} ms while ${z.w3.concurrency} callers each fire ${z.w3.perCaller} sends of 1 KiB without awaiting; module with bufferMemory ${z.w3.bufferMemory >> 20} MiB, maxBlockMs ${z.w3.maxBlockMs}`,
    W5: `${z.microIterations.toLocaleString('en-US')} iterations per step after a warm-up, keyed DTO of 100 B and 1 KiB, building blocks called directly, no producer`,
    ...(args.moduleDir
      ? { module: `loaded from ${args.moduleDir} (${gitCommit(args.moduleDir) ?? '?'})` }
      : {}),
    ...(args.beforeDir
      ? { 'module@before': `loaded from ${args.beforeDir} (${gitCommit(args.beforeDir) ?? '?'})` }
      : {}),
  };
}

function derivedNotes(cells: CellResult[]): string[] {
  const notes: string[] = [];
  const seq = cells.find(
    (c) =>
      c.spec.peer === 'platformatic' && /out of order sequence/i.test(`${c.note} ${c.firstError}`),
  );
  if (seq) {
    notes.push(
      `@platformatic/kafka: its idempotent producer failed with OUT_OF_ORDER_SEQUENCE_NUMBER (${seq.spec.cell} round ${seq.spec.round}).`,
    );
  }
  return notes;
}

function minutes(s: number): string {
  return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
}

/**
 * The schema registry of the `module+avro` runs: SCHEMA_REGISTRY_URL, else a local Apicurio
 * Registry started for the run (tools/registry; needs a Java 21+). Undefined when the plan has
 * no such run, or when none can start (those runs are then skipped, with the reason).
 */
async function registryFor(plan: readonly CellSpec[]): Promise<string | undefined> {
  if (!plan.some((s) => s.peer === 'module+avro')) return undefined;
  const given = process.env.SCHEMA_REGISTRY_URL?.trim();
  if (given) {
    console.log(`bench: using SCHEMA_REGISTRY_URL=${given} for the Avro runs`);
    return given;
  }
  try {
    console.log('bench: starting a local schema registry for the Avro runs…');
    live.registry = await SchemaRegistryServer.start();
    console.log(`bench: schema registry up at ${live.registry.url}`);
    return live.registry.url;
  } catch (error) {
    console.log(`bench: no schema registry, the Avro runs are skipped: ${describeError(error)}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const started = new Date();
  const t0 = performance.now();
  const given = parseBrokers(process.env.KAFKA_BROKERS);
  let externalSize: number | undefined;
  if (given && !args.planOnly) {
    const probe = new Kafka({
      clientId: 'bench-probe',
      brokers: given,
      logLevel: logLevel.NOTHING,
    }).admin();
    await probe.connect();
    externalSize = (await probe.describeCluster()).brokers.length;
    await probe.disconnect();
    console.log(
      `bench: using KAFKA_BROKERS=${given.join(',')} (${externalSize} broker(s); W3 needs its own broker and is skipped)`,
    );
  }
  const runId = started.toISOString().slice(11, 19).replace(/:/g, '');
  const plan0: PlanOptions = {
    quick: args.quick,
    brokers: given ?? [],
    runId,
    external: Boolean(given),
    clusterSizes: given ? [externalSize ?? 1] : (args.clusters ?? [1, 3]),
    workloads: args.workloads ?? new Set(DEFAULT_WORKLOADS),
    peers: args.peers,
    rounds: args.rounds,
    cells: args.cells,
    moduleDir: args.moduleDir,
    beforeDir: args.beforeDir,
    windowMs: args.windowMs,
    warmupMs: args.warmupMs,
    replication3: args.replication3,
    javaInFlight: args.javaInFlight,
  };
  const plan = buildPlan(plan0);
  const estimate = estimateSeconds(plan, plan0);
  const cells = matrixCells(plan0);
  console.log(
    `bench: ${plan.length} runs (${args.quick ? 'quick' : 'full'}), W1: ${cells.length} cells × their peers × rounds; estimated ${minutes(estimate)}`,
  );
  if (args.planOnly) {
    for (const c of cells)
      console.log(
        `  ${c.key.padEnd(26)} ${c.group.padEnd(5)} ${c.rounds} rounds: ${c.peers.join(', ')}`,
      );
    for (const s of plan.filter((x) => x.workload !== 'W1'))
      console.log(`  ${s.workload} ${s.label}`);
    return;
  }
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
    estimatedSeconds: estimate,
    mode: args.quick ? 'quick' : 'full',
    argv: process.argv.slice(2),
    machine: machineInfo(),
    versions: versions(root),
    broker: given
      ? { external: true, bootstrap: given.join(',') }
      : { external: false, bootstrap: '', heapMb: BROKER_HEAP_MB, config: BROKER_CONFIG },
    settings: settings(args, plan0),
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
  console.log(`bench: results → ${relative(process.cwd(), jsonFile)}`);
  let index = 0;
  const runAll = async (specs: CellSpec[], tools: ClusterTools | undefined) => {
    for (const spec of specs) {
      progress.start(index++, spec);
      const result = await runOne(spec, tools, progress);
      progress.finish(result);
      record.cells.push(result);
      save();
    }
  };
  const registryUrl = await registryFor(plan);
  for (const s of plan) if (s.peer === 'module+avro') s.registryUrl = registryUrl;
  try {
    await runAll(
      plan.filter((s) => s.workload === 'W5'),
      undefined,
    );
    for (const size of plan0.clusterSizes) {
      const specs = plan.filter((s) => s.workload !== 'W5' && s.clusterSize === size);
      if (specs.length === 0) continue;
      let brokers = given;
      if (!brokers) {
        console.log(`bench: starting a local ${size}-broker Kafka cluster…`);
        live.cluster = await KafkaCluster.start({
          brokers: size,
          heapMb: BROKER_HEAP_MB,
          brokerConfig: BROKER_CONFIG,
        });
        brokers = live.cluster.bootstrap.split(',');
        console.log(`bench: cluster up at ${live.cluster.bootstrap}`);
      }
      const pids = (live.cluster?.brokers ?? [])
        .map((b) => b.pid)
        .filter((p): p is number => p !== undefined);
      for (const s of specs) s.brokers = brokers;
      const kafka = new Kafka({ clientId: 'bench-admin', brokers, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const replication = specs[0].replication;
        await warmUpBrokers(
          brokers,
          admin,
          `bench-${runId}-warmup-${size}`,
          replication,
          sizing(args.quick).brokerWarmupMs,
        );
        await runAll(specs, { kafka, admin, pids });
      } finally {
        await admin.disconnect().catch(() => undefined);
        if (live.cluster) {
          resumeBroker();
          await live.cluster.stop();
          live.cluster = undefined;
        }
      }
    }
  } finally {
    save();
    await live.registry?.stop().catch(() => undefined);
    live.registry = undefined;
  }
  const chartFile = chartFileFor(mdFile);
  writeFileSync(chartFile, renderChart(record));
  writeFileSync(mdFile, renderMarkdown(record, jsonFile, chartFile));
  const bad = record.cells.filter((c) => c.status !== 'ok');
  console.log(
    `bench: done in ${minutes(record.wallSeconds)} (estimated ${minutes(estimate)}); ${record.cells.length - bad.length} ok, ` +
      `${bad.filter((c) => c.status === 'skipped').length} skipped, ${bad.filter((c) => c.status === 'failed').length} failed`,
  );
  console.log(
    `bench: wrote ${relative(process.cwd(), jsonFile)}, ${relative(process.cwd(), mdFile)} and ${relative(process.cwd(), chartFile)}`,
  );
}

let stopping = false;
async function stopOnSignal(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error(`\nbench: ${signal}: stopping the current run and the brokers`);
  live.child?.kill('SIGKILL');
  resumeBroker();
  await live.cluster?.stop({ timeoutMs: 5000 }).catch(() => undefined);
  await live.registry?.stop().catch(() => undefined);
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
    await live.registry?.stop().catch(() => undefined);
    process.exit(1);
  },
);
