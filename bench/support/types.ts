/** Shared shapes of the benchmark: what one cell is asked to do and what it reports. */

export type PeerName = 'module' | 'kafkajs' | 'client-kafka' | 'platformatic' | 'java';
export type Workload = 'W1' | 'W2' | 'W3' | 'W4' | 'W5';
export type Acks = 1 | -1;
export type Codec = 'none' | 'lz4';

/**
 * How records are handed to the peer:
 * - `send`: one record per call, from `concurrency` callers that each await their call;
 * - `batch`: `batch` records per call (module `sendMany`, kafkajs `sendBatch`,
 *   platformatic `send` with many messages), `concurrency` calls in flight.
 */
export type SendMode = 'send' | 'batch';

/** The record shape of one cell. */
export interface RecordShape {
  /** Bytes of each record value (the JSON of the event for Node peers, random bytes for Java). */
  size: number;
  keyed: boolean;
  acks: Acks;
  compression: Codec;
}

/** Options of this module's accumulator (not all accepted by its types yet). */
export interface ModuleTuning {
  lingerMs?: number;
  batchSize?: number;
  bufferMemory?: number;
  maxBlockMs?: number;
  deliveryTimeoutMs?: number;
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
  /** Records to send (W1/W4), or offered per second × seconds (W2). */
  records: number;
  /** Stop a throughput cell after this long even if `records` were not all sent. */
  maxSeconds: number;
  /** Records sent before measuring (at least). */
  warmupRecords: number;
  /** W1/W4: and for at least this long, the same for every peer, so each is JIT-warm. */
  warmupMs: number;
  /** W2: offered rate in records per second. */
  rate?: number;
  /** W3: records each of the `concurrency` callers fires without awaiting. */
  perCaller?: number;
  /** W3: how long the broker stays paused while we watch. */
  pauseMs?: number;
  topic: string;
  brokers: string[];
  /** A short label for tables and the progress line. */
  label: string;
  /** W5: iterations. */
  iterations?: number;
  /** acks all without the idempotent producer (platformatic's idempotent producer fails at high concurrency). */
  nonIdempotent?: boolean;
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

/** What the W3 (paused broker) cell saw. */
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

export interface CellResult {
  id: string;
  spec: CellSpec;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  records: number;
  seconds: number;
  msgPerSec: number;
  mibPerSec: number;
  /** Client CPU (user+system) over the measured phase, seconds. */
  cpuSeconds: number;
  cpuUsPerRecord: number;
  /** Peak RSS over the measured phase (sampled every 50 ms). */
  peakRssMiB: number;
  /** Produce requests seen on the wire during the measured phase (Java: from its metrics). */
  produceRequests?: number;
  recordsPerRequest?: number;
  latency?: LatencySummary;
  errors: number;
  firstError?: string;
  /** Broker process CPU during the cell (when the bench started the broker). */
  brokerCpuSeconds?: number;
  /** W2: the rate actually achieved. */
  achievedRate?: number;
  memory?: MemoryOutcome;
  micro?: MicroRow[];
  /** Whole-cell wall time including process start, connect and warm-up. */
  wallSeconds?: number;
}

/** Messages from a worker child to the runner. */
export type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'ready' }
  | { type: 'observed' }
  | { type: 'result'; result: CellResult };

/** Messages from the runner to a worker child. */
export type RunnerMessage = { type: 'go' } | { type: 'resumed' };
