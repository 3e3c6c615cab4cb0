/** Shared shapes of the benchmark: what one run is asked to do and what it reports. */

/**
 * The peers, in the order the tables and the chart list them. `module@before` is this module
 * loaded from another build (`--before=<dir>`), measured in the same rounds as `module` for
 * before/after figures.
 */
export const PEER_NAMES = [
  'module',
  'module@before',
  'module-bare',
  'module+metrics',
  'module+tracing',
  'module+tracing-10%',
  'module+sdk-floor',
  'module+avro',
  'module+semi64',
  'kafkajs',
  'platformatic',
  'client-kafka',
  'client-proxy',
  'java',
] as const;
export type PeerName = (typeof PEER_NAMES)[number];
export type Workload = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6';
export type Acks = 1 | -1;
export type Codec = 'none' | 'lz4';

/**
 * How records are handed to the peer:
 * - `send`: one record per call, from `concurrency` callers that each await their call;
 * - `batch`: `batch` records per call (module `sendMany`, kafkajs `sendBatch`,
 *   platformatic `send` with many messages), `concurrency` calls in flight.
 */
export type SendMode = 'send' | 'batch';

/** The record shape of one run. */
export interface RecordShape {
  /** Bytes of each record value (the JSON of the event for Node peers, the same bytes for Java). */
  size: number;
  keyed: boolean;
  acks: Acks;
  compression: Codec;
}

/** Options of this module's accumulator (and Java's linger.ms / batch.size). */
export interface ModuleTuning {
  lingerMs?: number;
  batchSize?: number;
  bufferMemory?: number;
  maxBlockMs?: number;
  deliveryTimeoutMs?: number;
  /**
   * Observability cells (bench/peers/observability.ts): off, metrics on, tracing on, tracing
   * with a 10% sampler, or the SDK's own floor (no tracing in the module, one bare span per
   * send made by the driver).
   */
  observability?: 'off' | 'metrics' | 'tracing' | 'tracing-10%' | 'sdk-floor';
}

/** One measured run of one peer, executed in a fresh child process (Java: its own JVM). */
export interface CellSpec {
  id: string;
  workload: Workload;
  peer: PeerName;
  mode: SendMode;
  concurrency: number;
  batch: number;
  shape: RecordShape;
  tuning: ModuleTuning;
  /** The matrix cell this run belongs to (same for every peer and round of it). */
  cell: string;
  /** 1-based round of the cell. */
  round: number;
  /** Partitions of the run's fresh topic. */
  partitions: number;
  /** Brokers of the cluster the run needs (1 or 3). */
  clusterSize: number;
  /** Replication factor of the run's topic. */
  replication: number;
  /** Steady-state runs (W1, W2 C=1, W4): warm-up, then the measured window. */
  warmupMs: number;
  windowMs: number;
  /** W2 open loop: records offered (rate × seconds); W3: offered by all callers. */
  records: number;
  /** Records sent before measuring, at least (W2 open loop, W3). */
  warmupRecords: number;
  /** Kill the run after this long (a hang is reported as one). */
  maxSeconds: number;
  /** W2 open loop: offered rate in records per second. */
  rate?: number;
  /** W3: records each of the `concurrency` callers fires without awaiting. */
  perCaller?: number;
  /** W3: how long the broker stays paused while we watch. */
  pauseMs?: number;
  /** Record each call's latency (W2 C=1). */
  latency?: boolean;
  /** Node options of the run's process besides `--expose-gc` (module+semi64). */
  nodeArgs?: readonly string[];
  /** module / module@before: the folder whose build is loaded (undefined: this checkout). */
  moduleDir?: string;
  /**
   * W6: each `sendBatch` of `batch` records is one transaction, committed before the next
   * (the peer's transactional API; Java: begin, send, commit).
   */
  transactional?: boolean;
  /** module+avro: the Confluent-compatible registry URL the Avro serializer registers with. */
  registryUrl?: string;
  /** Java: at most this many records unacked (0 or undefined: bounded by buffer.memory only). */
  maxInFlight?: number;
  /** acks all without the idempotent producer. */
  nonIdempotent?: boolean;
  topic: string;
  brokers: string[];
  /** A short label for tables and the progress line. */
  label: string;
  /** W5: iterations. */
  iterations?: number;
}

export interface LatencySummary {
  count: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** What the W3 (paused broker) run saw. */
export interface MemoryOutcome {
  offered: number;
  pauseMs: number;
  /** While paused: settled ok / rejected (by error name) / still pending at the end of the pause. */
  okDuringPause: number;
  rejectedDuringPause: Record<string, number>;
  pendingAtResume: number;
  /** Ms from the first send to the first rejection (maxBlockMs behaviour), if any. */
  firstRejectionMs?: number;
  /** After resuming the broker. */
  okAfterResume: number;
  rejectedAfterResume: Record<string, number>;
  stillPendingAtEnd: number;
  drainMs: number;
  /** At the end: how long since any send settled (large with sends pending = they hang). */
  msSinceLastSettle?: number;
  baselineRssMiB: number;
  peakRssMiB: number;
  peakHeapUsedMiB: number;
  firstError?: string;
}

export interface MicroRow {
  step: string;
  size: number;
  iterations: number;
  /** Wall microseconds per event. */
  usPerEvent: number;
  /** CPU (user+system) microseconds per event. */
  cpuUsPerEvent: number;
}

/** What a steady-state peer reports about its measured window. */
export interface WindowCounts {
  /** Records acked inside the window. */
  records: number;
  seconds: number;
  /** Produce requests sent inside the window (Node: wire counter; Java: request-total). */
  requests?: number;
  errors: number;
}

export interface CellResult {
  id: string;
  spec: CellSpec;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  /** Records acked in the measured window (W1/W4/W2 C=1), or in the whole run (W2 open, W3). */
  records: number;
  seconds: number;
  msgPerSec: number;
  mibPerSec: number;
  /** Client CPU (utime+stime of the peer's process, from /proc) over the window, seconds. */
  cpuSeconds: number;
  cpuUsPerRecord: number;
  /** Peak RSS (Node: sampled every 50 ms over the window; Java: VmHWM of the JVM). */
  peakRssMiB: number;
  /** Produce requests over the window (Node: wire counter; Java: its request-total metric). */
  produceRequests?: number;
  requestsPerSec?: number;
  recordsPerRequest?: number;
  latency?: LatencySummary;
  errors: number;
  firstError?: string;
  /** Broker JVMs' CPU (utime+stime, all brokers) over the window, seconds. */
  brokerCpuSeconds?: number;
  /** Broker CPU seconds per million records acked in the window. */
  brokerCpuPerMillion?: number;
  /** Every record the peer says it acked over the whole run (warm-up, window, drain). */
  ackedTotal?: number;
  /** Sends neither acked nor failed when the run ended (W2 open loop that fell behind). */
  pendingAtEnd?: number;
  /** Sum of the topic's end offsets after the run (the broker's count). */
  brokerRecords?: number;
  /** W2: the rate actually achieved. */
  achievedRate?: number;
  memory?: MemoryOutcome;
  micro?: MicroRow[];
  /** Whole-run wall time including process start, connect, warm-up, drain and checks. */
  wallSeconds?: number;
}

/** Messages from a worker child to the runner. */
export type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'window'; edge: 'start' | 'end' }
  | { type: 'ready' }
  | { type: 'observed' }
  | { type: 'result'; result: CellResult };

/** Messages from the runner to a worker child. */
export type RunnerMessage = { type: 'go' } | { type: 'resumed' };
