import { describe, expect, it } from '@jest/globals';
import { parseStat, processCpuSeconds, totalCpuSeconds } from './procstat.js';

// A real line from /proc/<pid>/stat of a JVM (fields shortened after stime's neighbours).
const JAVA =
  '12345 (java) S 1 12345 12345 0 -1 4194560 123456 0 12 0 2710 388 0 0 20 0 71 0 1500 5000000000 80000 18446744073709551615';

describe('parseStat', () => {
  it('reads utime and stime (fields 14 and 15)', () => {
    expect(parseStat(JAVA)).toEqual({ utime: 2710, stime: 388 });
  });

  it('counts fields from the last parenthesis, so a command name with spaces and parentheses does not shift them', () => {
    const odd = JAVA.replace('(java)', '(my (odd) cmd) x)');
    expect(parseStat(odd)).toEqual({ utime: 2710, stime: 388 });
  });

  it('rejects a line that is not a stat line', () => {
    expect(() => parseStat('hello')).toThrow(/not a \/proc/);
    expect(() => parseStat('1 (x) S 1 2')).toThrow(/no utime/);
  });
});

describe('processCpuSeconds', () => {
  it('reads this process and grows as it burns CPU', () => {
    const before = processCpuSeconds(process.pid)!;
    // Burn 50 ms of CPU as the kernel counts it (not wall time): at least a few clock ticks.
    const from = process.cpuUsage();
    let x = 0;
    for (;;) {
      for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1);
      const used = process.cpuUsage(from);
      if (used.user + used.system > 50_000) break;
    }
    const after = processCpuSeconds(process.pid)!;
    expect(x).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(before);
  });

  it('is undefined for a process that does not exist, and so is a sum over it', () => {
    expect(processCpuSeconds(2 ** 30)).toBeUndefined();
    expect(totalCpuSeconds([process.pid, 2 ** 30])).toBeUndefined();
    expect(totalCpuSeconds([process.pid])).toBeGreaterThan(0);
  });
});
