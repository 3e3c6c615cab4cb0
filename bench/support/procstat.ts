import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** utime and stime of a /proc/<pid>/stat line, in clock ticks. */
export interface StatTicks {
  utime: number;
  stime: number;
}

/**
 * Parses a /proc/<pid>/stat line. The command name (field 2) sits in parentheses and may
 * itself hold spaces and parentheses, so fields are counted from the last `)`: after it come
 * field 3 (state) onwards, and utime / stime are fields 14 and 15 (proc(5)).
 */
export function parseStat(line: string): StatTicks {
  const close = line.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 80)}`);
  const fields = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) {
    throw new Error(`no utime/stime in /proc/<pid>/stat line: ${line.slice(0, 80)}`);
  }
  return { utime, stime };
}

let clockTicks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux almost always). */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a live process in seconds (all its threads), or undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const t = parseStat(line);
  return (t.utime + t.stime) / ticksPerSecond();
}

/** The summed CPU seconds of several processes, or undefined if any of them is gone. */
export function totalCpuSeconds(pids: readonly number[]): number | undefined {
  let sum = 0;
  for (const pid of pids) {
    const s = processCpuSeconds(pid);
    if (s === undefined) return undefined;
    sum += s;
  }
  return sum;
}

/** Peak resident set (VmHWM) of a live process in MiB, or undefined once it is gone. */
export function processPeakRssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
