import { OBSERVABILITY_CELL } from '../peers/observability.js';
import { AVRO_CELL, cellKey, PROXY_CELL, TX_CELL } from '../plan.js';
import { find, type PeerAggregate } from './aggregate.js';
import { ratio } from './stats.js';
import type { CellResult, PeerName } from './types.js';

/** The targets of issues 13 to 17, evaluated on one run's medians. */
export type Verdict = 'met' | 'not met' | 'not measured';

/** One comparison of a target: a value against its limit. */
export interface Check {
  scope: string;
  /** Undefined: not measured in this run. */
  value?: number;
  limit: number;
  /** `min`: value must be ≥ limit; `max`: value must be ≤ limit. */
  kind: 'min' | 'max';
}

export interface TargetRow {
  target: string;
  verdict: Verdict;
  checks: Check[];
}

export function passes(c: Check): boolean | undefined {
  if (c.value === undefined) return undefined;
  return c.kind === 'min' ? c.value >= c.limit : c.value <= c.limit;
}

/** Not met if any check fails; else not measured if any is missing (or none exist); else met. */
export function verdictOf(checks: readonly Check[]): Verdict {
  if (checks.some((c) => passes(c) === false)) return 'not met';
  if (checks.length === 0 || checks.some((c) => c.value === undefined)) return 'not measured';
  return 'met';
}

/** The core cells the throughput targets are stated for. */
export function coreCells(): string[] {
  const out: string[] = [];
  for (const clusterSize of [1, 3]) {
    for (const size of [100, 1024]) {
      for (const partitions of [6, 64]) {
        out.push(cellKey({ size, keyed: false, partitions, clusterSize }));
      }
    }
  }
  return out;
}

/**
 * Node peers the module must match in `cell`: kafkajs and platformatic always (so a missing
 * one shows as not measured), ClientKafka where the run measured it (one cell by default).
 */
function nodePeers(w1: readonly PeerAggregate[], cell: string): PeerName[] {
  const peers: PeerName[] = ['kafkajs', 'platformatic'];
  if (find(w1, cell, 'client-kafka')) peers.push('client-kafka');
  return peers;
}

const row = (target: string, checks: Check[]): TargetRow => ({
  target,
  verdict: verdictOf(checks),
  checks,
});

/**
 * Evaluates the targets of issue 13 from the W1 / W2 aggregates and the W3 results:
 * throughput ≥ 0.7× Java and ≥ 1.0× every Node peer in the core cells, broker CPU per record
 * ≤ 1.5× Java's, cost per record at 256 partitions ≤ 1.5× the cost at 6, Avro ≥ 0.9× JSON
 * (issue 15), p50 at one caller
 * ≤ 1.1× raw kafkajs, W3 peak RSS growth ≤ bufferMemory + 64 MiB, no hangs.
 */
export function evaluateTargets(
  w1: readonly PeerAggregate[],
  w2: readonly PeerAggregate[],
  results: readonly CellResult[],
  w6: readonly PeerAggregate[] = [],
): TargetRow[] {
  const rows: TargetRow[] = [];
  const core = coreCells();
  const rate = (cell: string, peer: PeerName) => find(w1, cell, peer)?.rate;

  rows.push(
    row(
      'module ≥ 0.7× Java records/s (100 B & 1 KiB, 1 & 3 brokers, 6 & 64 partitions)',
      core.map((cell) => ({
        scope: cell,
        value: ratio(rate(cell, 'module'), rate(cell, 'java')),
        limit: 0.7,
        kind: 'min',
      })),
    ),
  );

  const node: Check[] = [];
  for (const cell of core) {
    for (const peer of nodePeers(w1, cell)) {
      node.push({
        scope: `${cell} ÷ ${peer}`,
        value: ratio(rate(cell, 'module'), rate(cell, peer)),
        limit: 1,
        kind: 'min',
      });
    }
  }
  rows.push(row('module ≥ 1.0× every Node peer records/s (same cells)', node));

  const cells = [...new Set(w1.map((a) => a.cell))];
  const withJava = cells.filter((c) => find(w1, c, 'java') && find(w1, c, 'module'));
  rows.push(
    row(
      'module broker CPU per record ≤ 1.5× Java’s in the same cell',
      (withJava.length > 0 ? withJava : core).map((cell) => ({
        scope: cell,
        value: ratio(
          find(w1, cell, 'module')?.brokerCpuPerMillion,
          find(w1, cell, 'java')?.brokerCpuPerMillion,
        ),
        limit: 1.5,
        kind: 'max',
      })),
    ),
  );

  const scaling: Check[] = [];
  for (const clusterSize of [1, 3]) {
    for (const keyed of [false, true]) {
      const at = (partitions: number) =>
        find(w1, cellKey({ size: 100, keyed, partitions, clusterSize }), 'module');
      const six = at(6);
      const many = at(256);
      const name = cellKey({ size: 100, keyed, partitions: 256, clusterSize });
      scaling.push({
        scope: `${name}: client CPU/record ÷ 6 partitions`,
        value: ratio(many?.cpuUsPerRecord, six?.cpuUsPerRecord),
        limit: 1.5,
        kind: 'max',
      });
      scaling.push({
        scope: `${name}: broker CPU/record ÷ 6 partitions`,
        value: ratio(many?.brokerCpuPerMillion, six?.brokerCpuPerMillion),
        limit: 1.5,
        kind: 'max',
      });
    }
  }
  rows.push(row('module cost per record at 256 partitions ≤ 1.5× at 6 (100 B)', scaling));

  rows.push(
    row('Avro value ≥ 0.9× JSON records/s (module, 100 B, C=1024, acks all; issue 15)', [
      {
        scope: `${AVRO_CELL}: module+avro ÷ module`,
        value: ratio(rate(AVRO_CELL, 'module+avro'), rate(AVRO_CELL, 'module')),
        limit: 0.9,
        kind: 'min',
      },
    ]),
  );

  rows.push(
    row('ClientProxy drop-in ≥ 10× Nest ClientKafka records/s (emit, C=1024; issue 17)', [
      {
        scope: `${PROXY_CELL}: client-proxy ÷ client-kafka`,
        value: ratio(rate(PROXY_CELL, 'client-proxy'), rate(PROXY_CELL, 'client-kafka')),
        limit: 10,
        kind: 'min',
      },
    ]),
  );

  rows.push(
    row('transactions: module ≥ 1.0× raw kafkajs records/s (W6, 100 per transaction; issue 14)', [
      {
        scope: `${TX_CELL}: module ÷ kafkajs`,
        value: ratio(find(w6, TX_CELL, 'module')?.rate, find(w6, TX_CELL, 'kafkajs')?.rate),
        limit: 1,
        kind: 'min',
      },
    ]),
  );

  const obs = cellKey(OBSERVABILITY_CELL);
  const cost = (peer: PeerName) => ratio(rate(obs, peer), rate(obs, 'module-bare'));
  rows.push(
    row('metrics on costs ≤ 3% records/s (issue 16)', [
      {
        scope: `${obs}: module+metrics ÷ module-bare`,
        value: cost('module+metrics'),
        limit: 0.97,
        kind: 'min',
      },
    ]),
  );
  rows.push(
    row(
      'tracing on (SDK, batch span processor, dropping exporter) costs ≤ 15% records/s (issue 16)',
      [
        {
          scope: `${obs}: module+tracing ÷ module-bare`,
          value: cost('module+tracing'),
          limit: 0.85,
          kind: 'min',
        },
      ],
    ),
  );
  rows.push(
    row(
      'reference, not a target: the same 15% for the SDK alone, and for tracing with a 1-in-10 sampler',
      [
        {
          scope: `${obs}: module+sdk-floor ÷ module-bare`,
          value: cost('module+sdk-floor'),
          limit: 0.85,
          kind: 'min',
        },
        {
          scope: `${obs}: module+tracing-10% ÷ module-bare`,
          value: cost('module+tracing-10%'),
          limit: 0.85,
          kind: 'min',
        },
      ],
    ),
  );

  const m = find(w2, 'latency-c1', 'module');
  const k = find(w2, 'latency-c1', 'kafkajs');
  rows.push(
    row('p50 at one caller (module lingerMs 0) ≤ 1.1× raw kafkajs send()', [
      { scope: 'W2 C=1, 1 KiB', value: ratio(m?.p50, k?.p50), limit: 1.1, kind: 'max' },
    ]),
  );

  const w3 = results.filter((r) => r.spec.workload === 'W3' && r.spec.peer === 'module');
  rows.push(
    row(
      'W3 peak RSS growth ≤ bufferMemory + 64 MiB (MiB)',
      (w3.length > 0 ? w3 : [undefined]).map((r) => ({
        scope: r ? `bufferMemory ${(r.spec.tuning.bufferMemory ?? 0) / 2 ** 20} MiB` : 'W3',
        value: r?.memory ? r.memory.peakRssMiB - r.memory.baselineRssMiB : undefined,
        limit: r ? (r.spec.tuning.bufferMemory ?? 0) / 2 ** 20 + 64 : 64,
        kind: 'max',
      })),
    ),
  );

  const hangs = results.filter(
    (r) => /hang/i.test(r.note ?? '') || (r.memory !== undefined && r.memory.stillPendingAtEnd > 0),
  );
  const measured = results.filter((r) => r.spec.workload !== 'W5').length;
  rows.push(
    row('no send hangs (runs with sends that never settled)', [
      {
        scope: hangs.length > 0 ? hangs.map((r) => r.id).join(', ') : `${measured} runs`,
        value: measured > 0 ? hangs.length : undefined,
        limit: 0,
        kind: 'max',
      },
    ]),
  );
  return rows;
}
