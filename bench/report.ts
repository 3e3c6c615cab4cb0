/**
 * Turns a run's JSON (bench/results/<date>.json) into bench/RESULTS.md and its SVG chart.
 * Used by run.ts; also runnable on its own to re-render:
 * `node .build/bench/report.js bench/results/<file>.json [out.md]` (the chart goes beside it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cellTitle, TX_RECORDS } from './plan.js';
import { aggregate, find, type PeerAggregate } from './support/aggregate.js';
import { renderChartSvg } from './support/chart.js';
import type { MachineInfo, Versions } from './support/machine.js';
import { ratio as divide, roundRatios, spread } from './support/stats.js';
import { evaluateTargets, passes } from './support/targets.js';
import { PEER_NAMES, type CellResult } from './support/types.js';

export interface RunRecord {
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  estimatedSeconds?: number;
  mode: 'quick' | 'full';
  argv: string[];
  machine: MachineInfo;
  versions: Versions;
  broker: {
    external: boolean;
    bootstrap: string;
    heapMb?: number;
    config?: Record<string, string>;
  };
  settings: Record<string, string>;
  notes: string[];
  cells: CellResult[];
}

const n0 = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '–' : Math.round(v).toLocaleString('en-US');
const n1 = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v)
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const n2 = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v)
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
const ms = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? '–' : v >= 100 ? n0(v) : v >= 10 ? n1(v) : n2(v);
const x2 = (v: number | undefined) => (v === undefined ? '–' : `${n2(v)}×`);
const ratio = (a: number | undefined, b: number | undefined) => x2(divide(a, b));
const range = (values: number[], fmt: (v: number) => string) => {
  const s = spread(values);
  return s ? (s.n > 1 ? `${fmt(s.min)}–${fmt(s.max)}` : fmt(s.min)) : '–';
};

/** A markdown table; numeric columns (all but the first, unless `text`) right-aligned. */
function table(head: string[], rows: string[][], text = false): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `| ${head.map((h, i) => (i === 0 || text || ['note', 'verdict', 'peer', 'cell', 'scope'].includes(h) ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

const byPeer = (a: PeerAggregate, b: PeerAggregate) =>
  PEER_NAMES.indexOf(a.peer) - PEER_NAMES.indexOf(b.peer);

function cellsOf(aggs: readonly PeerAggregate[]): string[] {
  return [...new Set(aggs.map((a) => a.cell))];
}

function targetsTable(
  run: RunRecord,
  w1: PeerAggregate[],
  w2: PeerAggregate[],
  w6: PeerAggregate[],
): string {
  const rows = evaluateTargets(w1, w2, run.cells, w6).map((t) => {
    const failing = t.checks.filter((c) => passes(c) === false);
    const missing = t.checks.filter((c) => c.value === undefined);
    const values = t.checks.filter((c) => c.value !== undefined).map((c) => c.value!);
    const worst =
      values.length === 0
        ? undefined
        : t.checks[0].kind === 'min'
          ? Math.min(...values)
          : Math.max(...values);
    const detail = [
      values.length > 0
        ? `${t.checks[0].kind === 'min' ? 'lowest' : 'highest'} ${n2(worst)} (limit ${n2(t.checks[0].limit)})`
        : '',
      failing.length > 0
        ? `not met in: ${failing.map((c) => `${c.scope} ${n2(c.value)}`).join(', ')}`
        : '',
      missing.length > 0 ? `not measured: ${missing.map((c) => c.scope).join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return [
      t.target,
      `**${t.verdict}**`,
      `${t.checks.length - missing.length}/${t.checks.length}`,
      detail,
    ];
  });
  return table(['target', 'verdict', 'checks measured', 'detail'], rows, true);
}

function headline(w1: PeerAggregate[]): string {
  const cells = cellsOf(w1);
  const others = PEER_NAMES.filter((p) => p !== 'module' && w1.some((a) => a.peer === p));
  if (cells.length === 0 || !w1.some((a) => a.peer === 'module')) return '_No W1 module runs._';
  const rows = cells.map((cell) => {
    const m = find(w1, cell, 'module');
    return [
      cell,
      m?.rate !== undefined ? n0(m.rate) : '–',
      ...others.map((p) => {
        const o = find(w1, cell, p);
        if (!o || !m) return '–';
        const per = roundRatios(m.rateByRound, o.rateByRound);
        return `${ratio(m.rate, o.rate)}${per.length > 1 ? ` (${range(per, n2)})` : ''}`;
      }),
    ];
  });
  return table(['cell', 'module records/s', ...others.map((p) => `module ÷ ${p}`)], rows);
}

function w1Table(w1: PeerAggregate[]): string {
  const rows: string[][] = [];
  for (const cell of cellsOf(w1)) {
    const here = w1.filter((a) => a.cell === cell).sort(byPeer);
    const m = here.find((a) => a.peer === 'module');
    for (const a of here) {
      const per = m && a !== m ? roundRatios(m.rateByRound, a.rateByRound) : [];
      rows.push([
        cell,
        a.label,
        `${a.ok}/${a.planned}`,
        n0(a.rate),
        range([...a.rateByRound.values()], n0),
        a === m ? '' : ratio(m?.rate, a.rate),
        per.length > 1 ? range(per, n2) : '–',
        n1(a.cpuUsPerRecord),
        n2(a.brokerCpuPerMillion),
        n0(a.requestsPerSec),
        n1(a.recordsPerRequest),
        a.problems.join(' / '),
      ]);
    }
  }
  return table(
    [
      'cell',
      'peer',
      'rounds ok',
      'records/s (median)',
      'per-round min–max',
      'module ÷ this',
      'per-round ratios',
      'client CPU µs/record',
      'broker CPU s / M records',
      'requests/s',
      'records/request',
      'note',
    ],
    rows,
  );
}

function costTable(w1: PeerAggregate[]): string {
  const parts = [6, 64, 256];
  const rows: string[][] = [];
  for (const clusterSize of [1, 3]) {
    for (const keyed of [false, true]) {
      for (const peer of PEER_NAMES) {
        const at = parts.map((p) =>
          w1.find(
            (a) =>
              a.peer === peer &&
              a.size === 100 &&
              a.keyed === keyed &&
              a.clusterSize === clusterSize &&
              a.partitions === p,
          ),
        );
        if (at.filter(Boolean).length < 2) continue;
        rows.push([
          `100B, ${clusterSize} broker${clusterSize > 1 ? 's' : ''}, ${keyed ? 'keyed' : 'keyless'}`,
          peer,
          ...at.map((a) => n1(a?.cpuUsPerRecord)),
          ratio(at[2]?.cpuUsPerRecord, at[0]?.cpuUsPerRecord),
          ...at.map((a) => n2(a?.brokerCpuPerMillion)),
          ratio(at[2]?.brokerCpuPerMillion, at[0]?.brokerCpuPerMillion),
          ...at.map((a) => n0(a?.rate)),
        ]);
      }
    }
  }
  if (rows.length === 0) return '_No cell ran at more than one partition count._';
  return table(
    [
      'cells',
      'peer',
      'client µs/rec 6p',
      '64p',
      '256p',
      '256 ÷ 6',
      'broker s/M 6p',
      '64p',
      '256p',
      '256 ÷ 6',
      'records/s 6p',
      '64p',
      '256p',
    ],
    rows,
  );
}

function latencyC1Table(w2: PeerAggregate[]): string {
  const c1 = w2.filter((a) => a.cell === 'latency-c1').sort(byPeer);
  if (c1.length === 0) return '_Not run._';
  const m = c1.find((a) => a.peer === 'module');
  return table(
    [
      'peer',
      'rounds ok',
      'p50 ms (median)',
      'per-round p50',
      'module ÷ this',
      'records/s',
      'client CPU µs/record',
    ],
    c1.map((a) => [
      a.label,
      `${a.ok}/${a.planned}`,
      ms(a.p50),
      range([...a.p50ByRound.values()], ms),
      a === m ? '' : ratio(m?.p50, a.p50),
      n0(a.rate),
      n1(a.cpuUsPerRecord),
    ]),
  );
}

function openLoopTable(run: RunRecord): string {
  const w2 = run.cells.filter((c) => c.spec.workload === 'W2' && c.spec.rate);
  if (w2.length === 0) return '_Not run._';
  const rows = w2.map((c) => [
    c.spec.label,
    n0(c.spec.rate),
    c.status === 'ok' ? n0(c.achievedRate ?? c.msgPerSec) : c.status,
    ms(c.latency?.p50),
    ms(c.latency?.p99),
    ms(c.latency?.p999),
    ms(c.latency?.max),
    c.status === 'ok' ? n1(c.cpuUsPerRecord) : '–',
    c.recordsPerRequest !== undefined ? n1(c.recordsPerRequest) : '–',
    c.errors ? n0(c.errors) : '0',
    [c.note, c.firstError].filter(Boolean).join('; '),
  ]);
  return table(
    [
      'peer / call',
      'offered msg/s',
      'acked msg/s',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'max ms',
      'CPU µs/rec',
      'rec/req',
      'errors',
      'note',
    ],
    rows,
  );
}

function w6Table(w6: PeerAggregate[]): string {
  if (w6.length === 0) return '_Not run._';
  const rows = [...w6].sort(byPeer);
  const m = rows.find((a) => a.peer === 'module');
  return table(
    [
      'peer',
      'rounds ok',
      'records/s (median)',
      'per-round min–max',
      'commits/s',
      'module ÷ this',
      'per-round ratios',
      'client CPU µs/record',
      'broker CPU s / M records',
      'note',
    ],
    rows.map((a) => [
      a.label,
      `${a.ok}/${a.planned}`,
      n0(a.rate),
      range([...a.rateByRound.values()], n0),
      a.rate !== undefined ? n1(a.rate / TX_RECORDS) : '–',
      a === m ? '' : ratio(m?.rate, a.rate),
      a === m || !m ? '–' : range(roundRatios(m.rateByRound, a.rateByRound), n2),
      n1(a.cpuUsPerRecord),
      n2(a.brokerCpuPerMillion),
      a.problems.join(' / '),
    ]),
  );
}

function w4Table(run: RunRecord): string {
  const w4 = aggregate(run.cells, 'W4');
  if (w4.length === 0) return '_Not run (`--only=W4`)._';
  return table(
    [
      'setting',
      'records/s',
      'client CPU µs/record',
      'broker CPU s / M records',
      'records/request',
      'note',
    ],
    w4.map((a) => [
      a.label,
      n0(a.rate),
      n1(a.cpuUsPerRecord),
      n2(a.brokerCpuPerMillion),
      n1(a.recordsPerRequest),
      a.problems.join(' / '),
    ]),
  );
}

function verdict(c: CellResult): string {
  const m = c.memory;
  if (!m) return c.note ?? c.status;
  const rejected = Object.values(m.rejectedDuringPause).reduce((a, b) => a + b, 0);
  const maxBlockMs = c.spec.tuning.maxBlockMs;
  if (rejected > 0 && m.firstRejectionMs !== undefined) {
    const names = Object.keys(m.rejectedDuringPause).join(', ');
    return `bounded: ${n0(rejected)} rejected while paused (${names}), first after ${n0(m.firstRejectionMs)} ms${maxBlockMs ? ` (maxBlockMs ${maxBlockMs})` : ''}`;
  }
  if (m.pendingAtResume > 0) {
    const held = `unbounded: nothing rejected while paused, ${n0(m.pendingAtResume)} of ${n0(m.offered)} sends held in memory`;
    if (m.stillPendingAtEnd === 0) return `${held}; all settled ${n0(m.drainMs)} ms after resume`;
    const stuck = (m.msSinceLastSettle ?? 0) > 5000;
    return `${held}; ${n0(m.stillPendingAtEnd)} still pending ${n0(m.drainMs)} ms after resume (${stuck ? `no progress for ${n0(m.msSinceLastSettle)} ms: hang` : 'still draining'})`;
  }
  return 'everything settled while paused';
}

function w3Table(run: RunRecord): string {
  const w3 = run.cells.filter((c) => c.spec.workload === 'W3');
  if (w3.length === 0) return '_Not run (needs a broker the bench started, to pause it)._';
  const fmtRej = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${n0(v)} ${k}`)
      .join(', ') || '0';
  const rows = w3.map((c) => {
    const m = c.memory;
    return [
      c.spec.label,
      m ? n0(m.offered) : c.status,
      m ? n0(m.pauseMs) : '–',
      m ? n0(m.baselineRssMiB) : '–',
      m ? n0(m.peakRssMiB) : '–',
      m ? n0(m.peakRssMiB - m.baselineRssMiB) : '–',
      m ? n0(m.peakHeapUsedMiB) : '–',
      m ? n0(m.okDuringPause) : '–',
      m ? fmtRej(m.rejectedDuringPause) : '–',
      m ? n0(m.pendingAtResume) : '–',
      m?.firstRejectionMs !== undefined ? n0(m.firstRejectionMs) : '–',
      m ? n0(m.okAfterResume) : '–',
      m ? fmtRej(m.rejectedAfterResume) : '–',
      m ? n0(m.stillPendingAtEnd) : '–',
      m ? n0(m.drainMs) : '–',
      verdict(c),
    ];
  });
  return table(
    [
      'peer / call',
      'offered',
      'paused ms',
      'RSS before MiB',
      'peak RSS MiB',
      'growth MiB',
      'peak heap MiB',
      'ok while paused',
      'rejected while paused',
      'pending at resume',
      'first rejection ms',
      'ok after resume',
      'rejected after resume',
      'pending at end',
      'drain ms',
      'verdict',
    ],
    rows,
  );
}

function w5Table(run: RunRecord): string {
  const w5 = run.cells.filter((c) => c.spec.workload === 'W5');
  const rows: string[][] = [];
  for (const c of w5) {
    if (!c.micro) {
      rows.push([c.spec.label, '–', '–', '–', `${c.status}: ${c.note ?? ''}`]);
      continue;
    }
    for (const r of c.micro) {
      rows.push([r.step, `${r.size} B`, n0(r.iterations), n2(r.usPerEvent), n2(r.cpuUsPerEvent)]);
    }
  }
  if (rows.length === 0) return '_Not run._';
  return table(
    [
      'step (keyed event, JSON value)',
      'value size',
      'iterations',
      'µs/event (wall)',
      'CPU µs/event',
    ],
    rows,
  );
}

export function chartFileFor(mdFile: string): string {
  return mdFile.replace(/\.md$/, '') + '.svg';
}

export function renderChart(run: RunRecord): string {
  const when = run.startedAt.replace(/\.\d+Z$/, 'Z');
  return renderChartSvg(
    aggregate(run.cells, 'W1'),
    `${run.mode === 'quick' ? 'QUICK smoke run (not for conclusions), ' : ''}run of ${when}, ${run.machine.cores} cores, Kafka ${run.versions.kafka ?? '?'}, acks all + idempotence, linger 5 ms, batch 16 KiB`,
  );
}

export function renderMarkdown(run: RunRecord, jsonFile: string, chartFile: string): string {
  const v = run.versions;
  const m = run.machine;
  const w1 = aggregate(run.cells, 'W1');
  const w2 = aggregate(run.cells, 'W2');
  const w6 = aggregate(run.cells, 'W6');
  const failed = run.cells.filter((c) => c.status !== 'ok');
  const cellNames = cellsOf(w1).map((k) => {
    const a = w1.find((x) => x.cell === k)!;
    return `\`${k}\`: ${cellTitle(a)}`;
  });
  const lines = [
    '# Benchmark results',
    '',
    `${run.mode === 'quick' ? '**Quick run** (`npm run bench -- --quick`: short windows, few cells, few rounds; a smoke check of the harness, not for conclusions)' : 'Full run (`npm run bench`)'}, started ${run.startedAt}, wall time ${n1(run.wallSeconds / 60)} min` +
      `${run.estimatedSeconds ? ` (estimated ${n1(run.estimatedSeconds / 60)})` : ''}. ` +
      `Raw numbers: \`bench/results/${basename(jsonFile)}\`. Only ratios within one run mean anything on this shared 2-core machine; bench/README.md says how each figure is taken.`,
    '',
    '## Targets (issues 13 to 17)',
    '',
    'Computed from this run’s medians; a target is met only when every check of it was measured and passed.',
    '',
    targetsTable(run, w1, w2, w6),
    '',
    '## Headline: module ÷ each peer, records/s',
    '',
    'Ratio of the medians over rounds; in brackets the range of the per-round ratios (module ÷ peer within the same round).',
    '',
    headline(w1),
    '',
    `![records/s per peer and cell, and cost per record against partitions](${basename(chartFile)})`,
    '',
    '## W1 throughput matrix',
    '',
    ...cellNames.map((c) => `- ${c}`),
    '',
    w1Table(w1),
    '',
    '## Cost per record against partitions (100 B)',
    '',
    costTable(w1),
    '',
    '## W2 latency',
    '',
    'One caller, closed loop (each send awaited before the next), 1 KiB keyless, 6 partitions, 1 broker; p50 of the calls that ended in the window, median over rounds.',
    '',
    latencyC1Table(w2),
    '',
    'Open loop: record i is due at t0 + i/rate and sent then whatever earlier sends are doing; latency runs from that intended time to the ack (no coordinated omission).',
    '',
    openLoopTable(run),
    '',
    '## W3 memory with the broker paused',
    '',
    'After a warm-up the broker is SIGSTOPped; 1024 callers each fire their sends without awaiting them (yielding between sends). ' +
      'Peak RSS is sampled every 50 ms; then the broker is resumed and the rest drains (bounded).',
    '',
    w3Table(run),
    '',
    '## W4 tuning sweep (this module)',
    '',
    w4Table(run),
    '',
    '## W6 transactions',
    '',
    `1 KiB keyless, 6 partitions, 1 broker; one transaction of ${TX_RECORDS} records at a time, each committed before the next; a record counts when its transaction has committed. Medians over rounds (peers rotated).`,
    '',
    w6Table(w6),
    '',
    '## W5 per-event CPU of the decorator path (no network)',
    '',
    w5Table(run),
    '',
    '## Settings',
    '',
    ...Object.entries(run.settings).map(([k, val]) => `- **${k}**: ${val}`),
    '',
    '## Machine and versions',
    '',
    table(
      ['what', 'value'],
      [
        ['CPU', `${m.cores} cores, ${m.cpuModel}`],
        ['memory', `${m.memoryGiB} GiB`],
        ['OS', m.os],
        ['Node.js', v.node],
        ['kafkajs', v.kafkajs ?? '?'],
        ['Apache Kafka (brokers and Java client jars)', v.kafka ?? '?'],
        ['Java', v.java ?? '?'],
        [
          '@nestjs/core / @nestjs/microservices',
          `${v.nestCore ?? '?'} / ${v.nestMicroservices ?? '?'}`,
        ],
        ['@platformatic/kafka', v.platformaticKafka ?? '?'],
        ['this repo', `${v.gitCommit ?? '?'}${v.gitDirty ? ' + uncommitted changes in lib/' : ''}`],
      ],
      true,
    ),
    '',
  ];
  if (failed.length > 0) {
    lines.push(
      '## Skipped or failed runs',
      '',
      'Not counted in any median.',
      '',
      ...failed.map(
        (c) =>
          `- ${c.spec.workload} ${c.spec.cell} round ${c.spec.round} ${c.spec.label}: **${c.status}**: ${[c.note, c.firstError].filter(Boolean).join('; ')}`,
      ),
      '',
    );
  }
  if (run.notes.length > 0) lines.push('## Notes', '', ...run.notes.map((x) => `- ${x}`), '');
  return lines.join('\n');
}

function main(): void {
  const [file, out = 'bench/RESULTS.md'] = process.argv.slice(2);
  if (!file)
    throw new Error('usage: node .build/bench/report.js bench/results/<file>.json [out.md]');
  const run = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  const chart = chartFileFor(out);
  writeFileSync(chart, renderChart(run));
  writeFileSync(out, renderMarkdown(run, file, chart));
  console.log(`wrote ${out} and ${chart}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main();
  } catch (error) {
    console.error(error);
    process.exit(1);
  }
}
