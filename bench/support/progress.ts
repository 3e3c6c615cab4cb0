import type { CellResult, CellSpec } from './types.js';

const fmt = (v: number) => Math.round(v).toLocaleString('en-US');

function elapsed(since: number): string {
  const s = Math.round((performance.now() - since) / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * The progress line: on a terminal one line per cell, rewritten in place while the cell runs;
 * otherwise one line per finished cell.
 */
export class Progress {
  private readonly tty = Boolean(process.stdout.isTTY);
  private readonly t0 = performance.now();
  private prefix = '';

  constructor(private readonly total: number) {}

  start(index: number, spec: CellSpec): void {
    this.prefix = `[${String(index + 1).padStart(3)}/${this.total} ${elapsed(this.t0)}] ${spec.workload} ${spec.cell}${spec.round > 1 || spec.workload === 'W1' ? ` r${spec.round}` : ''} ${spec.label}`;
    this.draw('starting');
  }

  update(text: string): void {
    this.draw(text);
  }

  finish(r: CellResult): void {
    const line = `${this.prefix} → ${summary(r)}`;
    if (this.tty) process.stdout.write(`\r\x1b[K${line}\n`);
    else console.log(line);
  }

  log(text: string): void {
    if (this.tty) process.stdout.write(`\r\x1b[K${text}\n`);
    else console.log(text);
  }

  private draw(text: string): void {
    if (!this.tty) return;
    const line = `${this.prefix} … ${text}`;
    const width = process.stdout.columns ?? 160;
    process.stdout.write(`\r\x1b[K${line.slice(0, width - 1)}`);
  }
}

export function summary(r: CellResult): string {
  if (r.status !== 'ok') {
    return `${r.status}: ${[r.note, r.firstError].filter(Boolean).join('; ')}`.slice(0, 300);
  }
  const parts: string[] = [];
  if (r.memory) {
    const m = r.memory;
    const rejected = Object.values(m.rejectedDuringPause).reduce((a, b) => a + b, 0);
    parts.push(
      `peak RSS ${fmt(m.peakRssMiB)} MiB (+${fmt(m.peakRssMiB - m.baselineRssMiB)})`,
      `${fmt(rejected)} rejected / ${fmt(m.pendingAtResume)} pending while paused`,
      `${fmt(m.stillPendingAtEnd)} pending at end`,
    );
  } else if (r.micro) {
    const whole = r.micro.filter((x) => x.step.startsWith('whole path: '));
    parts.push(...whole.map((x) => `${x.size} B: ${x.usPerEvent.toFixed(2)} µs/event`));
  } else {
    parts.push(`${fmt(r.msgPerSec)} rec/s`);
    if (r.recordsPerRequest !== undefined) parts.push(`${r.recordsPerRequest.toFixed(1)} rec/req`);
    if (r.latency)
      parts.push(`p50 ${r.latency.p50.toFixed(2)} ms p99 ${r.latency.p99.toFixed(1)} ms`);
    parts.push(`CPU ${r.cpuUsPerRecord.toFixed(1)} µs/rec`);
    if (r.brokerCpuPerMillion !== undefined)
      parts.push(`broker ${r.brokerCpuPerMillion.toFixed(2)} s/M`);
    if (r.brokerRecords !== undefined) parts.push(`verified ${fmt(r.brokerRecords)}`);
  }
  if (r.errors > 0) parts.push(`${fmt(r.errors)} errors`);
  if (r.note) parts.push(r.note);
  return parts.join(', ');
}
