import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/**
 * Picks `count` distinct free TCP ports on 127.0.0.1 by binding port 0. All sockets are held
 * open until every port is chosen, so the ports differ from each other; another process could
 * still take one before the broker binds it, which is rare enough for a test harness.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(0, '127.0.0.1', () => ok());
      });
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('no port from listen(0)');
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  }
}

/**
 * True when the process exists and is not a zombie. `kill(pid, 0)` alone also succeeds for
 * zombies, which linger in containers whose PID 1 does not reap orphans (detached brokers).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    const text = readFileSync(stat, 'utf8');
    const state = text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * The command line of a process (Linux /proc), or undefined when unknown. Used to check that a
 * pid read from a state file is still our broker before signalling it (pids get reused).
 */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/** Sends a signal, ignoring "no such process". */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Resolves true once the process is gone, false if it is still alive after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

/** The last `lines` lines of a text file, or '' when it does not exist. */
export function tail(file: string, lines = 40): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch {
    return '';
  }
}

/**
 * The first `count` distinct error lines of a log4j file: ERROR/FATAL entries and exception
 * lines of their stack traces (`Caused by: ...`, `x.y.SomeException: ...`), where the root cause
 * such as "Address already in use" usually is. '' if none.
 */
export function firstErrors(file: string, count: number): string {
  try {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^\[[^\]]+\] (ERROR|FATAL) |^Caused by: |^[\w.$]+(Exception|Error): /.test(l));
    return [...new Set(lines)].slice(0, count).join('\n');
  } catch {
    return '';
  }
}
