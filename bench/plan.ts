import { OBSERVABILITY_CELL, OBSERVABILITY_PEERS } from './peers/observability.js';
import {
  PEER_NAMES,
  type CellSpec,
  type ModuleTuning,
  type PeerName,
  type RecordShape,
  type SendMode,
  type Workload,
} from './support/types.js';

/** Workloads of a run when `--only` does not say: W4 (the tuning sweep) only on request. */
export const DEFAULT_WORKLOADS: readonly Workload[] = ['W1', 'W2', 'W3', 'W5', 'W6'];

/** W6: records per transaction, and the peers it compares (issue 14). */
export const TX_RECORDS = 100;
export const TX_CELL = 'tx-1KiB-1b-6p-keyless';

export interface PlanOptions {
  quick: boolean;
  brokers: string[];
  runId: string;
  /** The bench did not start the broker (KAFKA_BROKERS): W3 cannot pause it. */
  external: boolean;
  /** Cluster sizes that can run (external: the size of the given cluster only). */
  clusterSizes: readonly number[];
  workloads: ReadonlySet<Workload>;
  /** Peers asked for with --peers (undefined: the defaults of each cell group). */
  peers?: ReadonlySet<PeerName>;
  /** --rounds: rounds of every W1 cell (default: 3 for core cells, 2 for scaling cells). */
  rounds?: number;
  /** --cells: only W1 cells whose key matches. */
  cells?: RegExp;
  /** --module: the build the `module` peer loads. */
  moduleDir?: string;
  /** --before: the build the `module@before` peer loads (adds that peer). */
  beforeDir?: string;
  /** --window / --warmup in seconds (override the sizing). */
  windowMs?: number;
  warmupMs?: number;
  /** Replication factor of topics on the 3-broker cluster (default 3). */
  replication3?: number;
  /** --java-inflight: the Java peer keeps at most this many records unacked (default: unbounded). */
  javaInFlight?: number;
}

/** Sizes of a run; `quick` is a smoke check of every path (about 4 minutes). */
export function sizing(quick: boolean) {
  return quick
    ? {
        warmupMs: 1000,
        windowMs: 3000,
        coreRounds: 2,
        scaleRounds: 1,
        brokerWarmupMs: 3000,
        latency: { warmupMs: 500, windowMs: 2000, rounds: 2 },
        rates: [1000],
        openLoopSeconds: 2,
        w3: {
          concurrency: 1024,
          perCaller: 10,
          pauseMs: 2500,
          bufferMemory: 1 << 20,
          maxBlockMs: 1000,
        },
        w4: { lingers: [0, 5], batchSizes: [16384] },
        microIterations: 20_000,
      }
    : {
        warmupMs: 3000,
        windowMs: 10_000,
        coreRounds: 3,
        scaleRounds: 2,
        brokerWarmupMs: 8000,
        latency: { warmupMs: 2000, windowMs: 5000, rounds: 3 },
        rates: [10_000],
        openLoopSeconds: 5,
        w3: {
          concurrency: 1024,
          perCaller: 50,
          pauseMs: 6000,
          bufferMemory: 4 << 20,
          maxBlockMs: 2000,
        },
        w4: { lingers: [0, 1, 5, 20], batchSizes: [16384, 65536, 262144] },
        microIterations: 200_000,
      };
}

export type Sizing = ReturnType<typeof sizing>;

/** Settings every W1 peer runs with. */
export const LINGER_MS = 5;
export const BATCH_SIZE = 16384;
export const CALLERS = 1024;

/** How a peer is driven in the W1 matrix. */
export interface PeerDef {
  peer: PeerName;
  mode: SendMode;
  concurrency: number;
  batch: number;
  tuning: ModuleTuning;
  label: string;
  /** Node options of the peer's process besides `--expose-gc`. */
  nodeArgs?: readonly string[];
}

const w1Tuning: ModuleTuning = { lingerMs: LINGER_MS, batchSize: BATCH_SIZE };

/** The module peer with an observability setting (bench/peers/observability.ts). */
function observed(peer: keyof typeof OBSERVABILITY_PEERS): PeerDef {
  const setting = OBSERVABILITY_PEERS[peer];
  return {
    peer,
    mode: 'send',
    concurrency: CALLERS,
    batch: 1,
    tuning: { ...w1Tuning, observability: setting },
    label: `module send() ×${CALLERS} callers, observability ${setting}`,
  };
}

export const PEERS: Record<PeerName, PeerDef> = {
  'module-bare': observed('module-bare'),
  'module+metrics': observed('module+metrics'),
  'module+tracing': observed('module+tracing'),
  'module+tracing-10%': observed('module+tracing-10%'),
  'module+sdk-floor': observed('module+sdk-floor'),
  module: {
    peer: 'module',
    mode: 'send',
    concurrency: CALLERS,
    batch: 1,
    tuning: w1Tuning,
    label: `module send() ×${CALLERS} callers`,
  },
  'module@before': {
    peer: 'module@before',
    mode: 'send',
    concurrency: CALLERS,
    batch: 1,
    tuning: w1Tuning,
    label: `module@before send() ×${CALLERS} callers`,
  },
  'module+avro': {
    peer: 'module+avro',
    mode: 'send',
    concurrency: CALLERS,
    batch: 1,
    tuning: w1Tuning,
    label: `module send() ×${CALLERS} callers, Avro value (schema registry)`,
  },
  'module+semi64': {
    peer: 'module+semi64',
    mode: 'send',
    concurrency: CALLERS,
    batch: 1,
    tuning: w1Tuning,
    label: `module send() ×${CALLERS} callers, node --max-semi-space-size=64`,
    nodeArgs: ['--max-semi-space-size=64'],
  },
  kafkajs: {
    peer: 'kafkajs',
    mode: 'batch',
    concurrency: 4,
    batch: 1000,
    tuning: {},
    label: 'kafkajs sendBatch ×1000, 4 loops',
  },
  platformatic: {
    peer: 'platformatic',
    mode: 'batch',
    concurrency: 1,
    batch: 1000,
    tuning: {},
    label: 'platformatic send ×1000, 1 loop',
  },
  'client-kafka': {
    peer: 'client-kafka',
    mode: 'send',
    concurrency: CALLERS,
    batch: 1,
    tuning: {},
    label: `ClientKafka emit() ×${CALLERS} callers`,
  },
  'client-proxy': {
    peer: 'client-proxy',
    mode: 'send',
    concurrency: CALLERS,
    batch: 1,
    tuning: w1Tuning,
    label: `KafkaProducerClientProxy emit() ×${CALLERS} callers`,
  },
  java: {
    peer: 'java',
    mode: 'send',
    concurrency: 1,
    batch: 1,
    tuning: w1Tuning,
    label: 'Java KafkaProducer (BenchProducer)',
  },
};

/**
 * The cell where, by default, the module's Avro serializer runs beside its JSON one (issue 15:
 * Avro ≥ 0.9× JSON at 100 B, C=1024, acks all, in the same run), and Nest's ClientKafka beside
 * the module's ClientProxy drop-in (issue 17: ≥ 10×).
 */
export const AVRO_CELL = '100B-1b-6p-keyless';
export const PROXY_CELL = AVRO_CELL;

/** One cell of the W1 matrix: every peer of it runs once per round on a fresh topic. */
export interface MatrixCell {
  key: string;
  group: 'core' | 'scale';
  size: number;
  keyed: boolean;
  partitions: number;
  clusterSize: number;
  rounds: number;
  peers: PeerName[];
}

export function sizeLabel(size: number): string {
  return size >= 1024 ? `${size / 1024}KiB` : `${size}B`;
}

export function cellKey(c: Pick<MatrixCell, 'size' | 'keyed' | 'partitions' | 'clusterSize'>) {
  return `${sizeLabel(c.size)}-${c.clusterSize}b-${c.partitions}p-${c.keyed ? 'keyed' : 'keyless'}`;
}

/** A readable cell name: `100B, 1 broker, 6 partitions, keyless`. */
export function cellTitle(
  c: Pick<MatrixCell, 'size' | 'keyed' | 'partitions' | 'clusterSize'>,
): string {
  return `${sizeLabel(c.size)}, ${c.clusterSize} broker${c.clusterSize > 1 ? 's' : ''}, ${c.partitions} partitions, ${c.keyed ? 'keyed (1000 keys)' : 'keyless'}`;
}

export function shapeLabel(s: RecordShape): string {
  return `${sizeLabel(s.size)} ${s.keyed ? 'keyed' : 'keyless'} acks=${s.acks === -1 ? 'all' : s.acks} ${s.compression}`;
}

/**
 * The W1 matrix. Core cells (every peer, 3 rounds): 100 B and 1 KiB × 1 and 3 brokers × 6 and
 * 64 partitions, keyless. Scaling cells (module and Java, 2 rounds): 256 partitions keyless and
 * keyed at 6 and 256 partitions, 100 B, on 1 and 3 brokers. The module with an Avro value
 * (`module+avro`) runs beside the module in AVRO_CELL, and ClientKafka and the ClientProxy
 * drop-in in PROXY_CELL, by default or when --peers names them.
 */
export function matrixCells(o: PlanOptions): MatrixCell[] {
  const z = sizing(o.quick);
  const before = o.beforeDir ? (['module@before'] as PeerName[]) : [];
  const pick = (defaults: PeerName[], allowed: PeerName[]) =>
    o.peers ? allowed.filter((p) => o.peers!.has(p)) : defaults;
  // Asked for by name: every peer but those that run in one cell only (added below).
  const askable = PEER_NAMES.filter(
    (p) =>
      (p !== 'module@before' || before.length > 0) &&
      p !== 'module+avro' &&
      !(p in OBSERVABILITY_PEERS),
  );
  const corePeers = pick(['module', ...before, 'kafkajs', 'platformatic', 'java'], askable);
  const scalePeers = pick(
    ['module', ...before, 'java'],
    ['module', ...before, 'module+semi64', 'java'],
  );
  const cells: MatrixCell[] = [];
  const add = (
    group: MatrixCell['group'],
    size: number,
    keyed: boolean,
    partitions: number,
    clusterSize: number,
  ) => {
    const key = cellKey({ size, keyed, partitions, clusterSize });
    const avroHere = key === AVRO_CELL && (!o.peers || o.peers.has('module+avro'));
    const base = group === 'core' ? corePeers : scalePeers;
    let peers: PeerName[] = avroHere
      ? base.flatMap((p) => (p === 'module' ? [p, 'module+avro' as const] : [p]))
      : base;
    if (key === PROXY_CELL && !o.peers) {
      // Opt-in elsewhere (ClientKafka sends a record per request: slow, and no new figure).
      peers = peers.flatMap((p) =>
        p === 'java' ? ['client-kafka' as const, 'client-proxy' as const, p] : [p],
      );
    }
    const c = OBSERVABILITY_CELL;
    const here = size === c.size && keyed === c.keyed && partitions === c.partitions;
    if (!o.quick && group === 'core' && here && clusterSize === c.clusterSize) {
      const observedPeers = Object.keys(OBSERVABILITY_PEERS) as PeerName[];
      const asked = (p: PeerName) => (o.peers ? o.peers.has(p) : peers.includes('module'));
      peers = [...peers, ...observedPeers.filter(asked)];
    }
    const rounds = o.rounds ?? (group === 'core' ? z.coreRounds : z.scaleRounds);
    if (!o.clusterSizes.includes(clusterSize) || peers.length === 0) return;
    if (o.cells && !o.cells.test(key)) return;
    cells.push({ key, group, size, keyed, partitions, clusterSize, rounds, peers });
  };
  if (o.quick) {
    add('core', 100, false, 6, 1);
    add('scale', 100, true, 64, 1);
    add('scale', 100, false, 6, 3);
    return cells;
  }
  for (const clusterSize of [1, 3]) {
    for (const size of [100, 1024]) {
      for (const partitions of [6, 64]) add('core', size, false, partitions, clusterSize);
    }
    add('scale', 100, false, 256, clusterSize);
    for (const partitions of [6, 256]) add('scale', 100, true, partitions, clusterSize);
  }
  return cells;
}

/** The peer order of a round: A B C, then B C A, then C A B, … (no peer always goes first). */
export function rotate<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = (round - 1) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/**
 * Every run of a bench, in order: per cluster size (1 broker, then 3), the W1 matrix round by
 * round (round 1 of every cell, then round 2, …; peers rotated each round), then, on the
 * 1-broker cluster, W2, W3 and W4. W5 needs no broker and runs first.
 */
export function buildPlan(o: PlanOptions): CellSpec[] {
  const z = sizing(o.quick);
  const specs: CellSpec[] = [];
  const warmupMs = o.warmupMs ?? z.warmupMs;
  const windowMs = o.windowMs ?? z.windowMs;
  const want = (w: Workload) => o.workloads.has(w);
  const wantPeer = (p: PeerName) => !o.peers || o.peers.has(p);
  const moduleDirOf = (p: PeerName) =>
    p === 'module@before'
      ? o.beforeDir
      : p === 'module' || p === 'module+semi64' || p in OBSERVABILITY_PEERS
        ? o.moduleDir
        : undefined;
  const replicationOf = (clusterSize: number) =>
    clusterSize === 1 ? 1 : Math.min(clusterSize, o.replication3 ?? 3);

  const push = (s: Omit<CellSpec, 'id' | 'topic' | 'brokers' | 'replication'>) => {
    const n = specs.length + 1;
    const id = `${s.workload.toLowerCase()}-${String(n).padStart(3, '0')}-${s.peer.replace('@', '-')}`;
    specs.push({
      ...s,
      id,
      topic: `bench-${o.runId}-${String(n).padStart(3, '0')}`,
      brokers: o.brokers,
      replication: replicationOf(s.clusterSize),
    });
  };

  const base = (shape: RecordShape) => ({
    shape,
    records: 0,
    warmupRecords: 0,
    maxSeconds: (warmupMs + windowMs) / 1000 + 120,
    partitions: 6,
    clusterSize: 1,
    round: 1,
    warmupMs,
    windowMs,
  });

  if (want('W5') && wantPeer('module')) {
    push({
      ...base({ size: 1024, keyed: true, acks: -1, compression: 'none' }),
      workload: 'W5',
      peer: 'module',
      mode: 'send',
      concurrency: 1,
      batch: 1,
      tuning: {},
      cell: 'micro',
      iterations: z.microIterations,
      maxSeconds: 300,
      label: 'module building blocks (no network)',
    });
  }

  const cells = want('W1') ? matrixCells(o) : [];
  for (const clusterSize of o.clusterSizes) {
    const here = cells.filter((c) => c.clusterSize === clusterSize);
    const maxRounds = Math.max(0, ...here.map((c) => c.rounds));
    for (let round = 1; round <= maxRounds; round++) {
      for (const c of here.filter((x) => x.rounds >= round)) {
        for (const peer of rotate(c.peers, round)) {
          const d = PEERS[peer];
          push({
            ...base({ size: c.size, keyed: c.keyed, acks: -1, compression: 'none' }),
            workload: 'W1',
            peer,
            mode: d.mode,
            concurrency: d.concurrency,
            batch: d.batch,
            tuning: d.tuning,
            cell: c.key,
            round,
            partitions: c.partitions,
            clusterSize,
            moduleDir: moduleDirOf(peer),
            nodeArgs: d.nodeArgs,
            maxInFlight: peer === 'java' ? o.javaInFlight : undefined,
            label:
              peer === 'java' && o.javaInFlight
                ? `${d.label}, at most ${o.javaInFlight} records unacked`
                : d.label,
          });
        }
      }
    }
    if (clusterSize !== 1) continue;

    const kib: RecordShape = { size: 1024, keyed: false, acks: -1, compression: 'none' };
    if (want('W2')) {
      // One caller, closed loop: the latency of one send, module lingerMs 0 vs kafkajs send().
      const lat = z.latency;
      for (let round = 1; round <= lat.rounds; round++) {
        const peers = rotate(['module', 'kafkajs'] as PeerName[], round).filter(wantPeer);
        for (const peer of peers) {
          push({
            ...base(kib),
            workload: 'W2',
            peer,
            mode: 'send',
            concurrency: 1,
            batch: 1,
            tuning: peer === 'module' ? { lingerMs: 0 } : {},
            cell: 'latency-c1',
            round,
            warmupMs: lat.warmupMs,
            windowMs: lat.windowMs,
            latency: true,
            moduleDir: moduleDirOf(peer),
            label: peer === 'module' ? 'module send() C=1 lingerMs 0' : 'kafkajs send() C=1',
          });
        }
      }
      // Open loop at a fixed offered rate: latency from the intended send time.
      for (const rate of z.rates) {
        for (const peer of (['module', 'kafkajs'] as PeerName[]).filter(wantPeer)) {
          push({
            ...base(kib),
            workload: 'W2',
            peer,
            mode: 'send',
            concurrency: 1,
            batch: 1,
            tuning: peer === 'module' ? { lingerMs: 0 } : {},
            cell: `open-${rate}`,
            rate,
            records: rate * z.openLoopSeconds,
            warmupRecords: 1000,
            maxSeconds: z.openLoopSeconds + 120,
            moduleDir: moduleDirOf(peer),
            label: `${peer === 'module' ? 'module send() lingerMs 0' : 'kafkajs send()'} open loop @${rate.toLocaleString('en-US')}/s`,
          });
        }
      }
    }

    if (want('W3') && !o.external) {
      const w3 = z.w3;
      const memory = {
        workload: 'W3' as const,
        mode: 'send' as const,
        concurrency: w3.concurrency,
        batch: 1,
        perCaller: w3.perCaller,
        pauseMs: w3.pauseMs,
        records: w3.concurrency * w3.perCaller,
        warmupRecords: 2000,
        maxSeconds: o.quick ? 60 : 120,
        cell: 'memory',
      };
      if (wantPeer('module')) {
        push({
          ...base(kib),
          ...memory,
          peer: 'module',
          tuning: { lingerMs: 5, bufferMemory: w3.bufferMemory, maxBlockMs: w3.maxBlockMs },
          moduleDir: o.moduleDir,
          label: `module send() ×${w3.concurrency} callers, not awaited, bufferMemory=${w3.bufferMemory >> 20}MiB maxBlockMs=${w3.maxBlockMs}`,
        });
      }
    }

    if (want('W6')) {
      // One transaction of TX_RECORDS records at a time, committed before the next, 1 KiB.
      const peers = (['module', 'kafkajs', 'java'] as PeerName[]).filter(wantPeer);
      for (let round = 1; round <= (o.rounds ?? z.coreRounds); round++) {
        for (const peer of rotate(peers, round)) {
          push({
            ...base(kib),
            workload: 'W6',
            peer,
            mode: 'batch',
            concurrency: 1,
            batch: TX_RECORDS,
            tuning: peer === 'kafkajs' ? {} : w1Tuning,
            cell: TX_CELL,
            round,
            transactional: true,
            moduleDir: moduleDirOf(peer),
            label: {
              module: `module transaction() of ${TX_RECORDS} (sendMany), one at a time`,
              kafkajs: `kafkajs transaction() + send of ${TX_RECORDS}, commit, one at a time`,
              java: `Java begin + ${TX_RECORDS} send() + commitTransaction, one at a time`,
            }[peer as 'module' | 'kafkajs' | 'java'],
          });
        }
      }
    }

    if (want('W4') && wantPeer('module')) {
      for (const lingerMs of z.w4.lingers) {
        for (const batchSize of z.w4.batchSizes) {
          push({
            ...base(kib),
            workload: 'W4',
            peer: 'module',
            mode: 'send',
            concurrency: CALLERS,
            batch: 1,
            tuning: { lingerMs, batchSize },
            cell: `tuning-l${lingerMs}-b${batchSize}`,
            moduleDir: o.moduleDir,
            label: `module send() ×${CALLERS} lingerMs=${lingerMs} batchSize=${batchSize / 1024}K`,
          });
        }
      }
    }
  }
  return specs;
}

/**
 * Rough wall time of a plan in seconds, from the measured overheads on the 2-core machine:
 * process start + connect + topic create / verify / delete (more with partitions and
 * replicas), cluster start and broker warm-up.
 */
export function estimateSeconds(plan: readonly CellSpec[], o: PlanOptions): number {
  const z = sizing(o.quick);
  let s = 0;
  for (const c of plan) {
    // Measured on the shared 2-core machine: creating, touching, checking and deleting a topic
    // costs about 0.5 s at 6 partitions and 1 replica, 2 s at 256, 1.5 s at 6 × 3 replicas,
    // 5 s at 256 × 3; a run's process start and connect about 1.5 s (kafkajs and platformatic less).
    const topic =
      0.5 + (c.partitions * c.replication) / 300 + c.partitions * 0.004 + (c.replication - 1) * 0.5;
    const start = c.peer === 'kafkajs' || c.peer === 'platformatic' ? 0.8 : 1.5;
    // Java drains its buffer.memory (32 MiB, ~250k records of 100 B) after the window.
    const drain = c.peer === 'java' ? (c.clusterSize > 1 ? 4 : 1) : 0;
    if (c.workload === 'W5') s += o.quick ? 8 : 40;
    else if (c.workload === 'W3') s += (c.pauseMs ?? 0) / 1000 + 12;
    else if (c.rate) s += c.records / c.rate + 4 + topic;
    else s += (c.warmupMs + c.windowMs) / 1000 + start + topic + drain;
  }
  // The Avro runs' schema registry starts in about 15 s.
  if (plan.some((c) => c.peer === 'module+avro')) s += 15;
  if (!o.external) {
    for (const size of new Set(plan.filter((c) => c.workload !== 'W5').map((c) => c.clusterSize))) {
      s += (size === 1 ? 8 : 30) + z.brokerWarmupMs / 1000 + 3;
    }
  }
  return s;
}
