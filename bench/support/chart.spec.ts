import { describe, expect, it } from '@jest/globals';
import type { PeerAggregate } from './aggregate.js';
import { escapeXml, niceScale, renderChartSvg } from './chart.js';
import type { PeerName } from './types.js';

function agg(
  peer: PeerName,
  cell: string,
  partitions: number,
  keyed: boolean,
  rates: number[],
  cpu: number,
  broker: number,
): PeerAggregate {
  const sorted = [...rates].sort((a, b) => a - b);
  return {
    workload: 'W1',
    cell,
    peer,
    label: peer,
    size: 100,
    keyed,
    partitions,
    clusterSize: 1,
    planned: rates.length,
    ok: rates.length,
    rateByRound: new Map(rates.map((r, i) => [i + 1, r])),
    rate: sorted[sorted.length >> 1],
    rateSpread: { min: sorted[0], max: sorted[sorted.length - 1], n: rates.length },
    cpuUsPerRecord: cpu,
    cpuSpread: { min: cpu * 0.9, max: cpu * 1.1, n: rates.length },
    brokerCpuPerMillion: broker,
    brokerSpread: { min: broker, max: broker, n: rates.length },
    p50ByRound: new Map(),
    problems: [],
  };
}

/** Checks that every tag is closed in order (a small XML well-formedness check). */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  const body = svg.replace(/<\?xml[^>]*\?>/, '');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    const [, close, name, attrs, self] = m;
    if (/[<&](?!amp;|lt;|gt;|quot;)/.test(attrs)) return false;
    if (self) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name);
  }
  // No stray '&' or '<' in text between tags.
  const text = body.replace(/<[^>]*>/g, '');
  return stack.length === 0 && !/&(?!amp;|lt;|gt;|quot;)/.test(text) && !text.includes('<');
}

const AGGS = [
  agg('module', '100B-1b-6p-keyless', 6, false, [100_000, 120_000, 110_000], 6, 2),
  agg('java', '100B-1b-6p-keyless', 6, false, [300_000, 320_000, 310_000], 4, 1),
  agg('kafkajs', '100B-1b-6p-keyless', 6, false, [80_000, 90_000, 85_000], 12, 1.5),
  agg('module', '100B-1b-256p-keyless', 256, false, [90_000, 95_000], 7, 3),
  agg('java', '100B-1b-256p-keyless', 256, false, [280_000, 290_000], 4.5, 1.2),
  agg('module', '100B-1b-6p-keyed', 6, true, [80_000, 85_000], 8, 2.5),
  agg('module', '100B-1b-256p-keyed', 256, true, [40_000, 45_000], 12, 6),
];

describe('renderChartSvg', () => {
  const svg = renderChartSvg(AGGS, 'a <test> run & more');

  it('is a well-formed SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toContain('a &lt;test&gt; run &amp; more');
  });

  it('draws one bar per peer and cell, and a whisker for each with more than one round', () => {
    const bars = [...svg.matchAll(/<rect class="bar" data-peer="([^"]+)" data-cell="([^"]+)"/g)];
    expect(bars.map((b) => `${b[2]} ${b[1]}`).sort()).toEqual(
      AGGS.map((a) => `${a.cell} ${a.peer}`).sort(),
    );
    expect(svg.match(/class="whisker"/g)).toHaveLength(AGGS.length);
  });

  it('puts the tallest bar at the tallest median and scales the others to it', () => {
    const heights = new Map(
      [
        ...svg.matchAll(
          /data-peer="([^"]+)" data-cell="100B-1b-6p-keyless"[^>]*height="([\d.]+)"/g,
        ),
      ].map((m) => [m[1], Number(m[2])]),
    );
    expect(heights.get('java')! / heights.get('module')!).toBeCloseTo(310_000 / 110_000, 1);
  });

  it('draws a cost series per peer and key mode with two or more partition counts, for both metrics (kafkajs, at 6 only, gets none)', () => {
    const series = [
      ...svg.matchAll(
        /class="series" data-peer="([^"]+)" data-keyed="(\w+)" data-metric="(\w+)" data-brokers="1"/g,
      ),
    ].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    expect(series.sort()).toEqual(
      [
        'java false brokerCpuPerMillion',
        'java false cpuUsPerRecord',
        'module false brokerCpuPerMillion',
        'module false cpuUsPerRecord',
        'module true brokerCpuPerMillion',
        'module true cpuUsPerRecord',
      ].sort(),
    );
  });

  it('renders an empty run without throwing', () => {
    expect(wellFormed(renderChartSvg([], 'nothing'))).toBe(true);
  });
});

describe('niceScale and escapeXml', () => {
  it('rounds an axis up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceScale(412_000)).toEqual({ top: 500_000, step: 100_000 });
    expect(niceScale(9.3, 4)).toEqual({ top: 10, step: 2.5 });
    expect(niceScale(0)).toEqual({ top: 1, step: 0.2 });
  });

  it('escapes the XML specials', () => {
    expect(escapeXml('a<b>&"c"')).toBe('a&lt;b&gt;&amp;&quot;c&quot;');
  });
});
