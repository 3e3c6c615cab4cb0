import { median, spread, type Spread } from './stats.js';
import type { CellResult, PeerName, Workload } from './types.js';

/** One peer in one cell: its ok rounds reduced to medians and the per-round spread. */
export interface PeerAggregate {
  workload: Workload;
  cell: string;
  peer: PeerName;
  label: string;
  size: number;
  keyed: boolean;
  partitions: number;
  clusterSize: number;
  /** Rounds planned and rounds that ended ok (verified). */
  planned: number;
  ok: number;
  /** Records/s of each ok round, by round number. */
  rateByRound: Map<number, number>;
  rate?: number;
  rateSpread?: Spread;
  cpuUsPerRecord?: number;
  cpuSpread?: Spread;
  brokerCpuPerMillion?: number;
  brokerSpread?: Spread;
  requestsPerSec?: number;
  recordsPerRequest?: number;
  /** Median p50 per-call latency (ms), when recorded. */
  p50?: number;
  p50ByRound: Map<number, number>;
  /** Notes of the rounds that did not end ok. */
  problems: string[];
}

/** Groups the results of one workload by cell and peer, in first-seen order. */
export function aggregate(results: readonly CellResult[], workload: Workload): PeerAggregate[] {
  const groups = new Map<string, CellResult[]>();
  for (const r of results) {
    if (r.spec.workload !== workload) continue;
    const k = `${r.spec.cell}\u0000${r.spec.peer}`;
    const list = groups.get(k) ?? [];
    list.push(r);
    groups.set(k, list);
  }
  const out: PeerAggregate[] = [];
  for (const list of groups.values()) {
    const s = list[0].spec;
    const ok = list.filter((r) => r.status === 'ok');
    const rateByRound = new Map(ok.map((r) => [r.spec.round, r.msgPerSec]));
    const p50ByRound = new Map(
      ok.filter((r) => r.latency).map((r) => [r.spec.round, r.latency!.p50]),
    );
    const rates = ok.map((r) => r.msgPerSec);
    const cpu = ok.map((r) => r.cpuUsPerRecord);
    const broker = ok.map((r) => r.brokerCpuPerMillion);
    out.push({
      workload,
      cell: s.cell,
      peer: s.peer,
      label: s.label,
      size: s.shape.size,
      keyed: s.shape.keyed,
      partitions: s.partitions,
      clusterSize: s.clusterSize,
      planned: list.length,
      ok: ok.length,
      rateByRound,
      rate: median(rates),
      rateSpread: spread(rates),
      cpuUsPerRecord: median(cpu),
      cpuSpread: spread(cpu),
      brokerCpuPerMillion: median(broker),
      brokerSpread: spread(broker),
      requestsPerSec: median(ok.map((r) => r.requestsPerSec)),
      recordsPerRequest: median(ok.map((r) => r.recordsPerRequest)),
      p50: median([...p50ByRound.values()]),
      p50ByRound,
      problems: list
        .filter((r) => r.status !== 'ok')
        .map(
          (r) =>
            `round ${r.spec.round}: ${r.status}: ${[r.note, r.firstError].filter(Boolean).join('; ')}`,
        ),
    });
  }
  return out;
}

/** The aggregate of `peer` in `cell`, if it ran. */
export function find(
  aggs: readonly PeerAggregate[],
  cell: string,
  peer: PeerName,
): PeerAggregate | undefined {
  return aggs.find((a) => a.cell === cell && a.peer === peer);
}
