import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commandLine,
  freePorts,
  isAlive,
  signal,
  sleep,
  tail,
  waitForExit,
} from '../kafka/os-utils.js';
import { startWatchdog } from '../kafka/watchdog.js';
import { findRegistryJava } from './java21.js';
import { APICURIO_VERSION, ensureRegistryFiles } from './paths.js';

/** Path of the Confluent-compatible API under the registry's root. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

/** Marks our registry's command line, for the watchdog and for checks before a signal. */
const MARKER = '-Dregistry.harness.dir=';

/** Options of {@link SchemaRegistryServer.start}. */
export interface SchemaRegistryServerOptions {
  /** JVM max heap in MiB. Default 384. */
  heapMb?: number;
  /** How long to wait for the API to answer. Default 180 s (a loaded 2-core machine is slow). */
  readyTimeoutMs?: number;
  /** Outlive this process (the CLI): no exit hook, no watchdog. Default false. */
  detached?: boolean;
  /** Folder for its log. Default: a fresh mkdtemp in os.tmpdir(), removed on stop. */
  dataDir?: string;
}

/** What {@link SchemaRegistryServer.attach} needs, as plain JSON. */
export interface RegistryState {
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
}

const owned = new Set<SchemaRegistryServer>();
let exitHookInstalled = false;

/**
 * A local Apicurio Registry (in-memory storage) from the Maven-fetched app in `.registry/`,
 * run with a Java 21+ on a free 127.0.0.1 port. `url` is its Confluent-compatible API, what
 * the module's SchemaRegistryClient talks to. Unless detached it dies with this process (an
 * exit hook, and the Kafka harness' watchdog for SIGKILL and jest sandboxes).
 */
export class SchemaRegistryServer {
  private watchdogPid?: number;

  private constructor(
    readonly url: string,
    private pid: number | undefined,
    readonly dataDir: string,
  ) {}

  /** Starts the registry and resolves once `<url>/subjects` answers. */
  static async start(options: SchemaRegistryServerOptions = {}): Promise<SchemaRegistryServer> {
    const java = findRegistryJava();
    const { appDir } = await ensureRegistryFiles();
    const [port, managementPort] = await freePorts(2);
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'registry-harness-'));
    const args = [
      `-Xmx${options.heapMb ?? 384}m`,
      '-XX:+ExitOnOutOfMemoryError',
      `${MARKER}${dataDir}`,
      `-Dquarkus.http.port=${port}`,
      '-Dquarkus.http.host=127.0.0.1',
      // The management interface (health, metrics) is built in; keep it off the shared 9000.
      `-Dquarkus.management.port=${managementPort}`,
      '-Dquarkus.management.host=127.0.0.1',
      '-Dapicurio.storage.kind=sql',
      '-Dapicurio.storage.sql.kind=h2',
      '-jar',
      join(appDir, 'quarkus-run.jar'),
    ];
    const log = join(dataDir, 'registry.log');
    const out = openSync(log, 'a');
    let pid: number | undefined;
    try {
      const child = spawn(java.bin, args, {
        cwd: dataDir,
        detached: options.detached ?? false,
        stdio: ['ignore', out, out],
      });
      child.on('error', () => undefined);
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(out);
    }
    if (pid === undefined) throw new Error(`could not spawn ${java.bin} for Apicurio Registry`);
    const server = new SchemaRegistryServer(
      `http://127.0.0.1:${port}${CCOMPAT_PATH}`,
      pid,
      dataDir,
    );
    if (!options.detached) {
      owned.add(server);
      installExitHook();
      server.watchdogPid = startWatchdog(`${MARKER}${dataDir}`, dataDir, false);
    }
    try {
      await server.waitUntilReady(options.readyTimeoutMs ?? 180_000, java.bin);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** A handle for a registry started elsewhere (the detached CLI); a stale pid counts as stopped. */
  static attach(state: RegistryState): SchemaRegistryServer {
    const cmd = commandLine(state.pid);
    const ours =
      cmd !== undefined && isAlive(state.pid) && cmd.includes(`${MARKER}${state.dataDir}`);
    return new SchemaRegistryServer(state.url, ours ? state.pid : undefined, state.dataDir);
  }

  state(): RegistryState {
    return { url: this.url, pid: this.pid ?? -1, dataDir: this.dataDir };
  }

  get running(): boolean {
    return this.pid !== undefined && isAlive(this.pid);
  }

  /** SIGTERM, SIGKILL after 10 s; then removes its folder. */
  async stop(): Promise<void> {
    const pid = this.pid;
    if (pid !== undefined) {
      signal(pid, 'SIGTERM');
      if (!(await waitForExit(pid, 10_000))) {
        signal(pid, 'SIGKILL');
        await waitForExit(pid, 10_000);
      }
    }
    this.pid = undefined;
    owned.delete(this);
    if (this.watchdogPid !== undefined) signal(this.watchdogPid, 'SIGKILL');
    this.watchdogPid = undefined;
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** @internal Last-resort cleanup of the exit hook. */
  killSync(): void {
    if (this.pid !== undefined) signal(this.pid, 'SIGKILL');
    if (this.watchdogPid !== undefined) signal(this.watchdogPid, 'SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async waitUntilReady(timeoutMs: number, java: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) {
        throw new Error(
          `Apicurio Registry ${APICURIO_VERSION} (${java}) exited.\n${this.logTail()}`,
        );
      }
      if (await answers(this.url)) return;
      if (Date.now() >= deadline) {
        throw new Error(
          `Apicurio Registry at ${this.url} not ready after ${timeoutMs} ms.\n${this.logTail()}`,
        );
      }
      await sleep(200);
    }
  }

  private logTail(): string {
    return `--- registry.log: tail ---\n${tail(join(this.dataDir, 'registry.log'), 30).trim()}`;
  }
}

/** Whether the Confluent-compatible API at `url` answers `GET /subjects`. */
export async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const server of owned) server.killSync();
  });
}
