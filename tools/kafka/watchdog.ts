import { spawn } from 'node:child_process';

/**
 * Plain-JS body of the watchdog process. argv: marker prefix, data dir, keep flag. Every 500 ms it
 * checks whether its parent is gone (its ppid changed: it was re-parented); then it SIGKILLs every
 * other process with an argument starting with the marker prefix (its own argv has one too),
 * deletes the data dir unless kept, and exits. It also exits once the data dir is gone (stopped).
 */
const SCRIPT = `
const fs = require('fs');
const [prefix, dir, keep] = process.argv.slice(1);
const parent = process.ppid;
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
function ours() {
  const self = String(process.pid);
  return fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d) && d !== self).filter((d) => {
    try {
      return fs.readFileSync('/proc/' + d + '/cmdline', 'utf8').split('\\0').some((a) => a.startsWith(prefix));
    } catch { return false; }
  }).map(Number);
}
const timer = setInterval(() => {
  if (process.ppid === parent) { if (!fs.existsSync(dir)) process.exit(0); return; }
  clearInterval(timer);
  for (const pid of ours()) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  setTimeout(() => {
    if (keep !== '1') { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  }, 500);
}, 500);
`;

/**
 * Starts a small Node process that kills this cluster's brokers if the current process dies
 * without stopping them. A `process.on('exit')` hook is not enough: it does not run on SIGKILL or
 * crashes, and inside a jest test file `process` is a sandbox copy whose 'exit' never fires.
 * Brokers are found by their `-Dkafka.harness.node=<dataDir>/node-N` argument, so restarted
 * nodes are covered. Returns the watchdog's pid; stop it with SIGKILL (it ignores SIGTERM/INT).
 */
export function startWatchdog(markerPrefix: string, dataDir: string, keepData: boolean): number {
  const child = spawn(
    process.execPath,
    ['-e', SCRIPT, '--', markerPrefix, dataDir, keepData ? '1' : '0'],
    {
      stdio: 'ignore',
    },
  );
  child.on('error', () => undefined);
  child.unref();
  if (child.pid === undefined) throw new Error('could not start the Kafka harness watchdog');
  return child.pid;
}
