import { describe, expect, it } from '@jest/globals';
import type { PeerAggregate } from './aggregate.js';
import { coreCells, evaluateTargets, passes, verdictOf, type Check } from './targets.js';
import type { CellResult, PeerName } from './types.js';

function agg(
  peer: PeerName,
  cell: string,
  rate: number,
  extra: Partial<PeerAggregate> = {},
): PeerAggregate {
  const [size, brokers, parts, keyed] = cell.split('-');
  return {
    workload: 'W1',
    cell,
    peer,
    label: peer,
    size: size === '100B' ? 100 : 1024,
    keyed: keyed === 'keyed',
    partitions: Number(parts.replace('p', '')),
    clusterSize: Number(brokers.replace('b', '')),
    planned: 3,
    ok: 3,
    rateByRound: new Map([[1, rate]]),
    rate,
    p50ByRound: new Map(),
    problems: [],
    ...extra,
  };
}

const check = (value: number | undefined, kind: Check['kind'] = 'min'): Check => ({
  scope: 's',
  value,
  limit: 1,
  kind,
});

describe('verdictOf', () => {
  it('is not met as soon as one check fails, even with others missing', () => {
    expect(verdictOf([check(2), check(0.5), check(undefined)])).toBe('not met');
  });

  it('is not measured when a check is missing or there are none, met when all pass', () => {
    expect(verdictOf([check(2), check(undefined)])).toBe('not measured');
    expect(verdictOf([])).toBe('not measured');
    expect(verdictOf([check(1), check(3)])).toBe('met');
  });

  it('reads limits as floors or ceilings', () => {
    expect(passes(check(1, 'max'))).toBe(true);
    expect(passes(check(1.01, 'max'))).toBe(false);
    expect(passes(check(0.99, 'min'))).toBe(false);
    expect(passes(check(undefined))).toBeUndefined();
  });
});

describe('evaluateTargets', () => {
  const core = coreCells();

  it('covers 100 B and 1 KiB, 1 and 3 brokers, 6 and 64 partitions, keyless', () => {
    expect(core).toEqual([
      '100B-1b-6p-keyless',
      '100B-1b-64p-keyless',
      '1KiB-1b-6p-keyless',
      '1KiB-1b-64p-keyless',
      '100B-3b-6p-keyless',
      '100B-3b-64p-keyless',
      '1KiB-3b-6p-keyless',
      '1KiB-3b-64p-keyless',
    ]);
  });

  it('computes every throughput target from the medians', () => {
    const w1: PeerAggregate[] = [];
    for (const cell of core) {
      w1.push(agg('module', cell, 80, { brokerCpuPerMillion: 2, cpuUsPerRecord: 5 }));
      w1.push(agg('java', cell, 100, { brokerCpuPerMillion: 1.5 }));
      w1.push(agg('kafkajs', cell, 60));
      w1.push(agg('platformatic', cell, cell === '1KiB-3b-64p-keyless' ? 90 : 70));
    }
    const rows = evaluateTargets(w1, [], []);
    const byName = (start: string) => rows.find((r) => r.target.startsWith(start))!;
    expect(byName('module ≥ 0.7× Java').verdict).toBe('met');
    expect(byName('module ≥ 0.7× Java').checks.map((c) => c.value)).toEqual(core.map(() => 0.8));
    const node = byName('module ≥ 1.0× every Node peer');
    expect(node.verdict).toBe('not met');
    expect(node.checks.filter((c) => passes(c) === false).map((c) => c.scope)).toEqual([
      '1KiB-3b-64p-keyless ÷ platformatic',
    ]);
    // ClientKafka ran in one cell only: it is compared there, and nowhere else.
    w1.push(agg('client-kafka', core[0], 5));
    const withProxyCell = evaluateTargets(w1, [], []).find((r) => r.target === node.target)!;
    expect(withProxyCell.checks).toHaveLength(node.checks.length + 1);
    expect(withProxyCell.checks.filter((c) => c.scope.endsWith('client-kafka'))).toEqual([
      { scope: `${core[0]} ÷ client-kafka`, value: 16, limit: 1, kind: 'min' },
    ]);
    expect(byName('module broker CPU').verdict).toBe('met');
    expect(byName('module broker CPU').checks[0].value).toBeCloseTo(2 / 1.5);
    // No 256-partition cells, no W2, no W3 in this run.
    expect(byName('module cost per record at 256').verdict).toBe('not measured');
    expect(byName('p50 at one caller').verdict).toBe('not measured');
    expect(byName('W3 peak RSS').verdict).toBe('not measured');
  });

  it('is not measured when a required cell is missing, and not met when a present one fails', () => {
    const w1 = [agg('module', core[0], 60), agg('java', core[0], 100)];
    const java = evaluateTargets(w1, [], []).find((r) =>
      r.target.startsWith('module ≥ 0.7× Java'),
    )!;
    expect(java.verdict).toBe('not met');
    const ok = [agg('module', core[0], 90), agg('java', core[0], 100)];
    const partial = evaluateTargets(ok, [], []).find((r) =>
      r.target.startsWith('module ≥ 0.7× Java'),
    )!;
    expect(partial.verdict).toBe('not measured');
  });

  it('compares the cost at 256 partitions with 6, per metric', () => {
    const w1 = [
      agg('module', '100B-1b-6p-keyless', 100, { cpuUsPerRecord: 6, brokerCpuPerMillion: 2 }),
      agg('module', '100B-1b-256p-keyless', 90, { cpuUsPerRecord: 8, brokerCpuPerMillion: 4 }),
    ];
    const row = evaluateTargets(w1, [], []).find((r) => r.target.startsWith('module cost'))!;
    const values = new Map(row.checks.map((c) => [c.scope, c.value]));
    expect(values.get('100B-1b-256p-keyless: client CPU/record ÷ 6 partitions')).toBeCloseTo(8 / 6);
    expect(values.get('100B-1b-256p-keyless: broker CPU/record ÷ 6 partitions')).toBe(2);
    expect(row.verdict).toBe('not met');
  });

  it('judges p50 at one caller, W3 growth and hangs', () => {
    const w2 = [
      agg('module', '100B-1b-6p-keyless', 1, { cell: 'latency-c1', p50: 0.25 }),
      agg('kafkajs', '100B-1b-6p-keyless', 1, { cell: 'latency-c1', p50: 0.24 }),
    ];
    const w3 = {
      id: 'w3-001-module',
      spec: { workload: 'W3', peer: 'module', tuning: { bufferMemory: 4 << 20 } },
      status: 'ok',
      memory: { baselineRssMiB: 100, peakRssMiB: 170, stillPendingAtEnd: 0 },
    } as unknown as CellResult;
    const hung = {
      id: 'w1-007-kafkajs',
      spec: { workload: 'W1' },
      status: 'failed',
      note: 'hang: calls still pending 60 s after the window',
    } as unknown as CellResult;
    const rows = evaluateTargets([], w2, [w3, hung]);
    const byName = (start: string) => rows.find((r) => r.target.startsWith(start))!;
    expect(byName('p50 at one caller').checks[0].value).toBeCloseTo(0.25 / 0.24);
    expect(byName('p50 at one caller').verdict).toBe('met');
    expect(byName('W3 peak RSS').checks[0]).toMatchObject({ value: 70, limit: 68 });
    expect(byName('W3 peak RSS').verdict).toBe('not met');
    expect(byName('no send hangs').verdict).toBe('not met');
    expect(byName('no send hangs').checks[0].scope).toBe('w1-007-kafkajs');
    expect(evaluateTargets([], [], [w3]).find((r) => r.target.startsWith('no send'))!.verdict).toBe(
      'met',
    );
  });
});
