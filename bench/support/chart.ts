/**
 * The bench's chart, written as plain SVG (no chart library): records/s per peer per W1 cell
 * with the per-round spread as whiskers, and cost per record (client CPU and broker CPU)
 * against partitions for 100 B records.
 */
import type { PeerAggregate } from './aggregate.js';
import { PEER_NAMES, type PeerName } from './types.js';

export const PEER_COLORS: Record<PeerName, string> = {
  module: '#1f5fbf',
  'module@before': '#8fb3e8',
  'module-bare': '#5c7cab',
  'module+metrics': '#3b8fd9',
  'module+tracing': '#7048e8',
  'module+tracing-10%': '#9775fa',
  'module+sdk-floor': '#b197fc',
  'module+avro': '#5c3fbf',
  'module+semi64': '#0b7285',
  kafkajs: '#e8801a',
  platformatic: '#2f9e44',
  'client-kafka': '#8c564b',
  'client-proxy': '#17becf',
  java: '#c92a2a',
};

const WIDTH = 1200;
const FONT = 'font-family="DejaVu Sans, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const f = (v: number) => (Math.round(v * 10) / 10).toString();

/** A "nice" axis maximum and step for values up to `max` (1, 2, 2.5, 5 × 10^k steps). */
export function niceScale(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step) * step, step };
}

function short(v: number): string {
  if (v >= 1e6) return `${f(v / 1e6)}M`;
  if (v >= 1e3) return `${f(v / 1e3)}k`;
  return f(v);
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function yAxis(out: string[], box: Box, top: number, step: number, fmt: (v: number) => string) {
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = box.y + box.h - (v / top) * box.h;
    out.push(
      `<line x1="${f(box.x)}" y1="${f(y)}" x2="${f(box.x + box.w)}" y2="${f(y)}" stroke="#e5e5e5"/>`,
      `<text x="${f(box.x - 6)}" y="${f(y + 4)}" text-anchor="end" font-size="11" fill="#555">${escapeXml(fmt(v))}</text>`,
    );
  }
  out.push(
    `<line x1="${f(box.x)}" y1="${f(box.y + box.h)}" x2="${f(box.x + box.w)}" y2="${f(box.y + box.h)}" stroke="#888"/>`,
  );
}

/** Records/s per peer per cell: bars at the median, whiskers from the min to the max round. */
function throughputPanel(out: string[], aggs: readonly PeerAggregate[], box: Box): void {
  const cells = [...new Set(aggs.map((a) => a.cell))];
  const peers = PEER_NAMES.filter((p) => aggs.some((a) => a.peer === p));
  const max = Math.max(0, ...aggs.map((a) => a.rateSpread?.max ?? a.rate ?? 0));
  const { top, step } = niceScale(max);
  yAxis(out, box, top, step, short);
  out.push(
    `<text x="${f(box.x - 52)}" y="${f(box.y + box.h / 2)}" font-size="12" fill="#333" transform="rotate(-90 ${f(box.x - 52)} ${f(box.y + box.h / 2)})" text-anchor="middle">records/s</text>`,
  );
  const slot = box.w / Math.max(1, cells.length);
  const most = Math.max(1, ...cells.map((c) => aggs.filter((a) => a.cell === c).length));
  const barW = Math.min(16, (slot * 0.8) / most);
  const yOf = (v: number) => box.y + box.h - (v / top) * box.h;
  cells.forEach((cell, i) => {
    // Only the peers this cell has, side by side and centred in its slot.
    const here = peers.filter((p) => aggs.some((a) => a.cell === cell && a.peer === p));
    const x0 = box.x + i * slot + (slot - barW * here.length) / 2;
    const previous = i > 0 ? aggs.find((a) => a.cell === cells[i - 1]) : undefined;
    const current = aggs.find((a) => a.cell === cell);
    if (i === 0 && current) {
      out.push(
        `<text x="${f(box.x + 6)}" y="${f(box.y)}" font-size="11" fill="#555">${current.clusterSize} broker${current.clusterSize > 1 ? 's' : ''} →</text>`,
      );
    }
    if (previous && current && previous.clusterSize !== current.clusterSize) {
      const x = box.x + i * slot;
      out.push(
        `<line x1="${f(x)}" y1="${f(box.y - 8)}" x2="${f(x)}" y2="${f(box.y + box.h + 30)}" stroke="#999" stroke-dasharray="4 3"/>`,
        `<text x="${f(x + 6)}" y="${f(box.y)}" font-size="11" fill="#555">${current.clusterSize} brokers →</text>`,
      );
    }
    here.forEach((peer, j) => {
      const a = aggs.find((x) => x.cell === cell && x.peer === peer);
      if (!a || a.rate === undefined) return;
      const x = x0 + j * barW;
      const y = yOf(a.rate);
      out.push(
        `<rect class="bar" data-peer="${escapeXml(peer)}" data-cell="${escapeXml(cell)}" x="${f(x + 1)}" y="${f(y)}" width="${f(barW - 2)}" height="${f(box.y + box.h - y)}" fill="${PEER_COLORS[peer]}"/>`,
      );
      if (a.rateSpread && a.rateSpread.n > 1) {
        const cx = x + barW / 2;
        const y1 = yOf(a.rateSpread.min);
        const y2 = yOf(a.rateSpread.max);
        out.push(
          `<path class="whisker" d="M${f(cx)} ${f(y1)}V${f(y2)}M${f(cx - 3)} ${f(y1)}H${f(cx + 3)}M${f(cx - 3)} ${f(y2)}H${f(cx + 3)}" stroke="#222" stroke-width="1.2" fill="none"/>`,
        );
      }
    });
    // Cell label in two lines: "100B 6p" / "1b keyless".
    const [size, brokers, parts, keyed] = cell.split('-');
    const cx = box.x + i * slot + slot / 2;
    const line1 = parts ? `${size} ${parts}` : cell;
    const line2 = parts ? `${brokers} ${keyed}` : '';
    out.push(
      `<text x="${f(cx)}" y="${f(box.y + box.h + 15)}" text-anchor="middle" font-size="10.5" fill="#333">${escapeXml(line1)}</text>`,
      `<text x="${f(cx)}" y="${f(box.y + box.h + 28)}" text-anchor="middle" font-size="10.5" fill="#666">${escapeXml(line2)}</text>`,
    );
  });
}

/** Cost per record against partitions (6, 64, 256) for 100 B records on one cluster size. */
function costPanel(
  out: string[],
  aggs: readonly PeerAggregate[],
  box: Box,
  clusterSize: number,
  metric: 'cpuUsPerRecord' | 'brokerCpuPerMillion',
): void {
  const title =
    metric === 'cpuUsPerRecord'
      ? `client CPU µs/record, ${clusterSize} broker${clusterSize > 1 ? 's' : ''}`
      : `broker CPU s per million records, ${clusterSize} broker${clusterSize > 1 ? 's' : ''}`;
  out.push(
    `<text x="${f(box.x + box.w / 2)}" y="${f(box.y - 10)}" text-anchor="middle" font-size="12.5" font-weight="bold" fill="#222">${escapeXml(title)}</text>`,
  );
  const parts = [6, 64, 256];
  const candidates = aggs.filter(
    (a) => a.size === 100 && a.clusterSize === clusterSize && parts.includes(a.partitions),
  );
  // A line needs two partition counts: a peer measured at one only (ClientKafka, the
  // observability peers) would say nothing about scaling and could flatten the scale.
  const counts = (peer: string, keyed: boolean) =>
    new Set(candidates.filter((a) => a.peer === peer && a.keyed === keyed).map((a) => a.partitions))
      .size;
  const points = candidates.filter((a) => counts(a.peer, a.keyed) >= 2);
  const spreadOf = (a: PeerAggregate) =>
    metric === 'cpuUsPerRecord' ? a.cpuSpread : a.brokerSpread;
  const max = Math.max(0, ...points.map((a) => spreadOf(a)?.max ?? a[metric] ?? 0));
  const { top, step } = niceScale(max, 4);
  yAxis(out, box, top, step, (v) => f(v));
  const xOf = (p: number) => box.x + ((parts.indexOf(p) + 0.5) / parts.length) * box.w;
  const yOf = (v: number) => box.y + box.h - (v / top) * box.h;
  for (const p of parts) {
    out.push(
      `<text x="${f(xOf(p))}" y="${f(box.y + box.h + 15)}" text-anchor="middle" font-size="11" fill="#333">${p} partitions</text>`,
    );
  }
  // The module last, so that its lines stay on top.
  for (const peer of [...PEER_NAMES].reverse()) {
    for (const keyed of [false, true]) {
      const series = parts
        .map((p) => points.find((a) => a.peer === peer && a.keyed === keyed && a.partitions === p))
        .filter((a): a is PeerAggregate => a !== undefined && a[metric] !== undefined);
      if (series.length === 0) continue;
      const color = PEER_COLORS[peer];
      const d = series
        .map((a, i) => `${i === 0 ? 'M' : 'L'}${f(xOf(a.partitions))} ${f(yOf(a[metric]!))}`)
        .join('');
      out.push(
        `<path class="series" data-peer="${escapeXml(peer)}" data-keyed="${keyed}" data-metric="${metric}" data-brokers="${clusterSize}" d="${d}" stroke="${color}" stroke-width="2" fill="none"${keyed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
      for (const a of series) {
        const x = xOf(a.partitions);
        const s = spreadOf(a);
        if (s && s.n > 1) {
          out.push(
            `<path d="M${f(x)} ${f(yOf(s.min))}V${f(yOf(s.max))}" stroke="${color}" stroke-width="1" fill="none"/>`,
          );
        }
        out.push(
          keyed
            ? `<rect x="${f(x - 3.5)}" y="${f(yOf(a[metric]!) - 3.5)}" width="7" height="7" fill="#fff" stroke="${color}" stroke-width="2"/>`
            : `<circle cx="${f(x)}" cy="${f(yOf(a[metric]!))}" r="3.5" fill="${color}"/>`,
        );
      }
    }
  }
}

/** The whole chart as an SVG document. */
export function renderChartSvg(aggs: readonly PeerAggregate[], subtitle: string): string {
  const out: string[] = [];
  const peers = PEER_NAMES.filter((p) => aggs.some((a) => a.peer === p));
  // The legend, wrapped into rows that fit the width.
  const legend: Array<{ peer: PeerName; x: number; row: number }> = [];
  let lx = 80;
  let rows = 1;
  for (const peer of peers) {
    const w = 34 + peer.length * 7;
    if (lx + w > WIDTH - 30 && lx > 80) {
      lx = 80;
      rows++;
    }
    legend.push({ peer, x: lx, row: rows - 1 });
    lx += w;
  }
  const legendEnd = 58 + rows * 20;
  const top: Box = { x: 80, y: legendEnd + 32, w: WIDTH - 110, h: 300 };
  const costY = top.y + top.h + 90;
  const costH = 170;
  const gap = 70;
  const costW = (WIDTH - 80 - 30 - gap) / 2;
  const height = costY + 2 * costH + 2 * 70 + 20;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="17" font-weight="bold" fill="#111">W1 throughput: records/s per peer and cell (bar: median; whisker: per-round min–max)</text>`,
    `<text x="${WIDTH / 2}" y="46" text-anchor="middle" font-size="12" fill="#555">${escapeXml(subtitle)}</text>`,
  );
  for (const { peer, x, row } of legend) {
    const y = 58 + row * 20;
    out.push(
      `<rect x="${x}" y="${y}" width="14" height="14" fill="${PEER_COLORS[peer]}"/>`,
      `<text x="${x + 19}" y="${y + 12}" font-size="12" fill="#222">${escapeXml(peer)}</text>`,
    );
  }
  out.push(
    `<text x="80" y="${legendEnd + 10}" font-size="11.5" fill="#555">cost panels: solid ● keyless, dashed ▢ keyed; 100 B records; whisker: per-round min–max; only peers measured at two or more partition counts</text>`,
  );
  throughputPanel(out, aggs, top);
  out.push(
    `<text x="${WIDTH / 2}" y="${costY - 38}" text-anchor="middle" font-size="15" font-weight="bold" fill="#111">Cost per record against partitions (100 B records)</text>`,
  );
  const sizes = [1, 3];
  sizes.forEach((clusterSize, row) => {
    const y = costY + row * (costH + 70);
    costPanel(out, aggs, { x: 80, y, w: costW, h: costH }, clusterSize, 'cpuUsPerRecord');
    costPanel(
      out,
      aggs,
      { x: 80 + costW + gap, y, w: costW, h: costH },
      clusterSize,
      'brokerCpuPerMillion',
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
