import type {
  CellSpec,
  ModuleTuning,
  PeerName,
  RecordShape,
  SendMode,
  Workload,
} from './support/types.js';

/** The base record shape: what the headline ratios compare. */
export const BASE: RecordShape = { size: 1024, keyed: false, acks: -1, compression: 'none' };

/** W1 variations: each changes one dimension of BASE. */
export const VARIATIONS: Array<{ name: string; shape: RecordShape }> = [
  { name: '100 B', shape: { ...BASE, size: 100 } },
  { name: 'keyed', shape: { ...BASE, keyed: true } },
  { name: 'acks 1', shape: { ...BASE, acks: 1 } },
  { name: 'lz4', shape: { ...BASE, compression: 'lz4' } },
];

export interface PlanOptions {
  quick: boolean;
  brokers: string[];
  runId: string;
  /** The bench did not start the broker (KAFKA_BROKERS): W3 cannot pause it. */
  external: boolean;
  workloads?: ReadonlySet<Workload>;
  peers?: ReadonlySet<PeerName>;
}

/** Sizes of the run; `quick` finishes in about 2 minutes, the full run in about 20. */
export function sizing(quick: boolean) {
  return quick
    ? {
        records: 20_000,
        warmupMs: 500,
        maxSeconds: 4,
        slowSeconds: 3,
        rates: [1000],
        latencySeconds: 2,
        w3: {
          concurrency: 1024,
          perCaller: 10,
          pauseMs: 2500,
          bufferMemory: 1 << 20,
          maxBlockMs: 1000,
        },
        w4: { lingers: [0, 5], batchSizes: [16384], records: 20_000, maxSeconds: 3 },
        microIterations: 20_000,
      }
    : {
        records: 200_000,
        warmupMs: 2000,
        maxSeconds: 20,
        slowSeconds: 8,
        rates: [1000, 10_000],
        latencySeconds: 10,
        w3: {
          concurrency: 1024,
          perCaller: 50,
          pauseMs: 6000,
          bufferMemory: 4 << 20,
          maxBlockMs: 2000,
        },
        w4: {
          lingers: [0, 1, 5, 20],
          batchSizes: [16384, 65536, 262144],
          records: 200_000,
          maxSeconds: 12,
        },
        microIterations: 200_000,
      };
}

export function shapeLabel(s: RecordShape): string {
  const size = s.size >= 1024 ? `${s.size / 1024}KiB` : `${s.size}B`;
  return `${size} ${s.keyed ? 'keyed' : 'keyless'} acks=${s.acks === -1 ? 'all' : s.acks} ${s.compression}`;
}

const PEER_LABEL: Record<PeerName, string> = {
  module: 'module',
  kafkajs: 'kafkajs',
  'client-kafka': 'ClientKafka',
  platformatic: 'platformatic',
  java: 'Java',
};

export function callLabel(peer: PeerName, mode: SendMode, c: number, batch: number): string {
  if (peer === 'java') return 'ProducerPerformance';
  const one = peer === 'module' ? 'send()' : peer === 'client-kafka' ? 'emit()' : 'send()';
  const many =
    peer === 'module'
      ? 'sendMany'
      : peer === 'kafkajs'
        ? 'sendBatch'
        : peer === 'client-kafka'
          ? 'emitBatch'
          : 'send';
  return mode === 'batch' ? `${many} ×${batch}${c > 1 ? ` C=${c}` : ''}` : `${one} C=${c}`;
}

/**
 * The cells of a run, in order. The full run covers each W1 dimension around one base
 * (1 KiB keyless, acks all idempotent, no compression): every peer at the base, then for each
 * variation (100 B, keyed, acks 1, lz4) the module at C=1024, kafkajs sendBatch ×1000,
 * ClientKafka emit at C=1024 and Java (Java has no keys, so not for "keyed").
 */
export function buildPlan(o: PlanOptions): CellSpec[] {
  const z = sizing(o.quick);
  const cells: CellSpec[] = [];
  const want = (w: Workload, p: PeerName) =>
    (!o.workloads || o.workloads.has(w)) && (!o.peers || o.peers.has(p));

  const add = (
    workload: Workload,
    peer: PeerName,
    shape: RecordShape,
    opts: {
      mode?: SendMode;
      c?: number;
      batch?: number;
      tuning?: ModuleTuning;
      records?: number;
      maxSeconds?: number;
      rate?: number;
      perCaller?: number;
      pauseMs?: number;
      iterations?: number;
      extra?: string;
      nonIdempotent?: boolean;
    } = {},
  ) => {
    if (!want(workload, peer)) return;
    const mode = opts.mode ?? 'send';
    const c = opts.c ?? 1;
    const batch = opts.batch ?? 1;
    const tuning: ModuleTuning = peer === 'module' || peer === 'java' ? (opts.tuning ?? {}) : {};
    const n = cells.length + 1;
    const id = `${workload.toLowerCase()}-${String(n).padStart(2, '0')}-${peer}`;
    const unit = mode === 'batch' ? batch * c : c;
    const records = opts.records ?? z.records;
    const warmupRecords =
      workload === 'W5' ? 0 : Math.min(records, Math.max(o.quick ? 300 : 1000, 2 * unit));
    const b = tuning.batchSize !== undefined ? `${tuning.batchSize / 1024}K` : undefined;
    let tune = '';
    if (peer === 'module' && tuning.lingerMs !== undefined) {
      tune = ` lingerMs=${tuning.lingerMs}${b ? ` batchSize=${b}` : ''}`;
    } else if (peer === 'java') {
      tune = ` linger.ms=${tuning.lingerMs ?? 5} batch.size=${b ?? '16K'}`;
    }
    let call = callLabel(peer, mode, c, batch);
    if (workload === 'W2') call = call.replace(/ C=\d+$/, ' open loop');
    if (workload === 'W3') call = call.replace(/ C=(\d+)$/, ` ×${c} callers, not awaited`);
    if (workload === 'W5') call = 'decorator path';
    cells.push({
      id,
      workload,
      peer,
      mode,
      concurrency: c,
      batch,
      shape,
      tuning,
      records,
      maxSeconds: opts.maxSeconds ?? z.maxSeconds,
      warmupRecords,
      warmupMs: workload === 'W1' || workload === 'W4' ? z.warmupMs : 0,
      rate: opts.rate,
      perCaller: opts.perCaller,
      pauseMs: opts.pauseMs,
      iterations: opts.iterations,
      nonIdempotent: opts.nonIdempotent,
      topic: `bench-${o.runId}-${id}`,
      brokers: o.brokers,
      label: `${PEER_LABEL[peer]} ${call}${tune}${opts.extra ?? ''}`,
    });
  };

  const l0: ModuleTuning = { lingerMs: 0 };
  const l5: ModuleTuning = { lingerMs: 5 };
  const slow = { maxSeconds: z.slowSeconds };

  // W1 at the base shape: every peer.
  add('W1', 'module', BASE, { c: 1, tuning: l0, ...slow });
  if (!o.quick) add('W1', 'module', BASE, { c: 1, tuning: l5, ...slow });
  if (!o.quick) add('W1', 'module', BASE, { c: 64, tuning: l5 });
  add('W1', 'module', BASE, { c: 1024, tuning: l5 });
  add('W1', 'module', BASE, { mode: 'batch', batch: 1000, tuning: l5 });
  add('W1', 'kafkajs', BASE, { c: 1, ...slow });
  if (!o.quick) add('W1', 'kafkajs', BASE, { c: 64 });
  add('W1', 'kafkajs', BASE, { c: 1024 });
  add('W1', 'kafkajs', BASE, { mode: 'batch', batch: 100 });
  add('W1', 'kafkajs', BASE, { mode: 'batch', batch: 1000 });
  if (!o.quick) add('W1', 'client-kafka', BASE, { c: 1, ...slow });
  if (!o.quick) add('W1', 'client-kafka', BASE, { c: 64 });
  add('W1', 'client-kafka', BASE, { c: 1024 });
  add('W1', 'platformatic', BASE, { c: 1024 });
  add('W1', 'platformatic', BASE, { c: 1024, nonIdempotent: true, extra: ' (not idempotent)' });
  if (!o.quick) add('W1', 'platformatic', BASE, { mode: 'batch', batch: 1000 });
  add('W1', 'java', BASE, { tuning: { lingerMs: 5, batchSize: 16384 } });

  // W1 variations around the base.
  for (const v of o.quick ? VARIATIONS.filter((x) => x.name === 'lz4') : VARIATIONS) {
    add('W1', 'module', v.shape, { c: 1024, tuning: l5 });
    add('W1', 'kafkajs', v.shape, { mode: 'batch', batch: 1000 });
    if (!o.quick) add('W1', 'client-kafka', v.shape, { c: 1024 });
    if (!v.shape.keyed) add('W1', 'java', v.shape, { tuning: { lingerMs: 5, batchSize: 16384 } });
  }

  // W2: fixed offered rate, latency from the intended send time.
  for (const rate of z.rates) {
    const records = rate * z.latencySeconds;
    const w2 = { rate, records, maxSeconds: z.latencySeconds, extra: ` @${rate}/s` };
    add('W2', 'module', BASE, { ...w2, tuning: l0 });
    if (!o.quick) add('W2', 'module', BASE, { ...w2, tuning: l5 });
    add('W2', 'kafkajs', BASE, w2);
    if (!o.quick) add('W2', 'client-kafka', BASE, w2);
    // Its idempotent producer fails with OUT_OF_ORDER_SEQUENCE_NUMBER as soon as sends overlap.
    if (!o.quick) {
      add('W2', 'platformatic', BASE, {
        ...w2,
        nonIdempotent: true,
        extra: ` @${rate}/s (not idempotent)`,
      });
    }
    if (!o.quick) add('W2', 'java', BASE, { ...w2, tuning: { lingerMs: 0, batchSize: 16384 } });
  }

  // W3: broker paused while 1024 callers keep sending (needs a broker we can SIGSTOP).
  if (!o.external) {
    const w3 = z.w3;
    const memory = {
      c: w3.concurrency,
      perCaller: w3.perCaller,
      pauseMs: w3.pauseMs,
      records: w3.concurrency * w3.perCaller,
      maxSeconds: o.quick ? 20 : 60,
    };
    add('W3', 'module', BASE, {
      ...memory,
      tuning: { lingerMs: 5, bufferMemory: w3.bufferMemory, maxBlockMs: w3.maxBlockMs },
      extra: ` bufferMemory=${w3.bufferMemory >> 20}MiB maxBlockMs=${w3.maxBlockMs}`,
    });
    if (!o.quick) add('W3', 'kafkajs', BASE, memory);
  }

  // W4: the module's accumulator settings at the base shape from 1024 callers. 1024 awaiting
  // callers keep at most 1024 records in flight: 1 MiB of 1 KiB records fills even 256K batches
  // (100 B records would cap every batch near 100 KB and hide batchSize).
  for (const lingerMs of z.w4.lingers) {
    for (const batchSize of z.w4.batchSizes) {
      add('W4', 'module', BASE, {
        c: 1024,
        tuning: { lingerMs, batchSize },
        records: z.w4.records,
        maxSeconds: z.w4.maxSeconds,
      });
    }
  }

  // W5: per-event CPU of the decorator path, no network.
  add('W5', 'module', BASE, { iterations: z.microIterations, extra: ', building blocks' });
  return cells;
}
