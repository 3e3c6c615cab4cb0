import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  bootstrapOf,
  defaultBrokerConfig,
  randomClusterId,
  renderServerProperties,
  secureBootstrapOf,
  type BrokerSpec,
} from './config.js';
import { runJava } from './java.js';
import {
  commandLine,
  firstErrors,
  freePorts,
  isAlive,
  signal,
  sleep,
  tail,
  waitForExit,
} from './os-utils.js';
import { ensureKafkaJars, javaBin, kafkaToolsDir } from './paths.js';
import { brokerAnswers } from './readiness.js';
import {
  applyAcls,
  prepareSecurity,
  type ClusterSecurity,
  type ClusterSecurityOptions,
} from './security.js';
import { startWatchdog } from './watchdog.js';

/** Options for {@link KafkaCluster.start}. */
export interface KafkaClusterOptions {
  /** Number of combined broker+controller nodes: 1 or 3. Default 1. */
  brokers?: number;
  /** server.properties entries that override the harness defaults (e.g. min.insync.replicas). */
  brokerConfig?: Record<string, string>;
  /** Empty or missing folder for data, configs and logs. Default: a fresh mkdtemp in os.tmpdir(). */
  dataDir?: string;
  /** JVM max heap per broker in MiB (`-Xmx`); `-Xms` is min(256, heapMb). Default 512. */
  heapMb?: number;
  /**
   * When set, each node gets a second client listener, EXTERNAL, on its own free port
   * (`BrokerInfo.externalPort`) that advertises 127.0.0.1:`externalAdvertisedPort(id)`: put a
   * proxy (e.g. a fault proxy) on that port forwarding to `externalPort`, bootstrap the client
   * under test through the proxies, and it only ever talks through them. PLAINTEXT (replication,
   * readiness, `bootstrap`) stays direct. Default: no EXTERNAL listener.
   */
  externalAdvertisedPort?: (brokerId: number) => number;
  /**
   * When set, each node also gets a SASL_SSL client listener (`securePort`): TLS with a
   * broker certificate (SAN `localhost`, `127.0.0.1`) signed by a CA made for this cluster,
   * SCRAM-SHA-256/512 users created at format time plus a super user `admin`, unsecured
   * OAUTHBEARER, and StandardAuthorizer with these ACLs; with `clientCertificates`, also an
   * SSL listener that requires a client certificate (`mutualTlsPort`). See security.ts and
   * `KafkaCluster.security`. PLAINTEXT stays the internal listener. Costs one keytool JVM
   * run (about 2 s) and the ACLs at start. Default: no security.
   */
  security?: ClusterSecurityOptions;
  /** Keep dataDir on stop(). Default false. */
  keepData?: boolean;
  /** How long to wait for each broker to answer metadata. Default 90 s. */
  readyTimeoutMs?: number;
  /** How long stop()/restart() wait after SIGTERM before SIGKILL. Default 15 s. */
  stopTimeoutMs?: number;
  /**
   * Start brokers in their own process group, surviving this process (the CLI). Such brokers are
   * not killed by this process' exit handler nor by the watchdog. Default false.
   */
  detached?: boolean;
}

/** One node of the cluster. `pid` is unset while the node is not running. */
export interface BrokerInfo extends BrokerSpec {
  pid?: number;
}

/** Serializable description of a running cluster, for {@link KafkaCluster.attach}. */
export interface ClusterState {
  bootstrap: string;
  dataDir: string;
  clusterId: string;
  heapMb: number;
  keepData: boolean;
  brokers: BrokerInfo[];
  /** Set when the cluster was started with `security`. */
  security?: ClusterSecurity;
}

/** Marks our brokers' command lines so a pid from a state file can be checked before a signal. */
const MARKER = '-Dkafka.harness.node=';

const owned = new Set<KafkaCluster>();
let exitHookInstalled = false;

/** On process exit, SIGKILL the non-detached brokers this process started and drop their data. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const cluster of owned) cluster.killAllSync();
  });
}

/**
 * A local Apache Kafka 4.x cluster in KRaft mode (each node is broker and controller), run from
 * the Maven-fetched jars in `.kafka/lib`, on free 127.0.0.1 ports. For e2e and fault tests:
 * nodes can be killed, paused (SIGSTOP), resumed and restarted on the same ports and data.
 * Unless detached, brokers die with this process: an 'exit' hook SIGKILLs them, and a watchdog
 * process does the same when this one is SIGKILLed or runs inside a jest sandbox.
 */
export class KafkaCluster {
  readonly bootstrap: string;
  readonly brokers: BrokerInfo[];
  /**
   * The SASL_SSL listeners' bootstrap, CA file, users and ACLs, when started with `security`
   * (`secureClientConfig(cluster.security, { user })` makes a kafkajs config from it).
   */
  readonly security?: ClusterSecurity;
  /** Pid of the process that kills our brokers if this process dies first (see watchdog.ts). */
  private watchdogPid?: number;

  private constructor(
    readonly dataDir: string,
    readonly clusterId: string,
    brokers: BrokerInfo[],
    private readonly opts: Required<
      Omit<KafkaClusterOptions, 'brokerConfig' | 'dataDir' | 'externalAdvertisedPort' | 'security'>
    >,
    security?: Omit<ClusterSecurity, 'bootstrap'>,
  ) {
    this.brokers = brokers;
    this.bootstrap = bootstrapOf(brokers);
    const secure = secureBootstrapOf(brokers);
    const mutualTlsBootstrap = secureBootstrapOf(brokers, 'mutualTlsPort');
    if (security && secure) {
      this.security = {
        ...security,
        bootstrap: secure,
        ...(mutualTlsBootstrap && { mutualTlsBootstrap }),
      };
    }
  }

  /**
   * Formats storage for 1 or 3 nodes, starts them and waits until each answers metadata
   * (about 3 s for one node, 10-12 s for three, on a 2-core machine once the jars are cached).
   * On failure the started nodes are killed and the error carries the failing node's log
   * (first errors and tail); a lost port race is retried once with new ports.
   */
  static async start(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
    try {
      return await KafkaCluster.startOnce(options);
    } catch (err) {
      // A free port picked up front can be taken by someone else before the broker binds it.
      const portRace = /BindException|Address already in use/.test(String(err));
      if (!portRace || options.keepData) throw err;
      return KafkaCluster.startOnce(options);
    }
  }

  private static async startOnce(options: KafkaClusterOptions): Promise<KafkaCluster> {
    const count = options.brokers ?? 1;
    if (count !== 1 && count !== 3) throw new Error(`brokers must be 1 or 3, got ${count}`);
    const classpath = await ensureKafkaJars();
    const dataDir = prepareDataDir(options.dataDir);
    const advertise = options.externalAdvertisedPort;
    const secured = options.security !== undefined;
    const mutualTls = (options.security?.clientCertificates?.length ?? 0) > 0;
    const perNode = 2 + (advertise ? 1 : 0) + (secured ? 1 : 0) + (mutualTls ? 1 : 0);
    const ports = await freePorts(count * perNode);
    const specs: BrokerSpec[] = Array.from({ length: count }, (_, i) => {
      const own = ports.slice(perNode * i, perNode * (i + 1));
      return {
        id: i + 1,
        port: own[0],
        controllerPort: own[1],
        ...(advertise && { externalPort: own[2], externalAdvertisedPort: advertise(i + 1) }),
        ...(secured && { securePort: own[mutualTls ? perNode - 2 : perNode - 1] }),
        ...(mutualTls && { mutualTlsPort: own[perNode - 1] }),
      };
    });
    let setup: Awaited<ReturnType<typeof prepareSecurity>> | undefined;
    try {
      setup = options.security && (await prepareSecurity(dataDir, options.security));
    } catch (err) {
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
    const config = {
      ...defaultBrokerConfig(count),
      ...setup?.brokerConfig,
      ...options.brokerConfig,
    };
    const cluster = new KafkaCluster(
      dataDir,
      randomClusterId(),
      specs,
      {
        brokers: count,
        heapMb: options.heapMb ?? 512,
        keepData: options.keepData ?? false,
        readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
        stopTimeoutMs: options.stopTimeoutMs ?? 15_000,
        detached: options.detached ?? false,
      },
      setup?.security,
    );
    try {
      const formatArgs = setup?.formatArgs ?? [];
      await Promise.all(specs.map((b) => cluster.format(b, specs, config, formatArgs)));
      for (const b of specs) cluster.spawnNode(b, classpath);
      await cluster.waitUntilReady();
      if (cluster.security) await applyAcls(cluster.security);
      return cluster;
    } catch (err) {
      await cluster.stop({ timeoutMs: 0 });
      throw err;
    }
  }

  /**
   * Re-creates a handle for brokers started elsewhere (the detached CLI) from its state file.
   * Pids whose command line no longer names this node are treated as not running.
   */
  static attach(state: ClusterState): KafkaCluster {
    const brokers = state.brokers.map((b) => ({ ...b }));
    const cluster = new KafkaCluster(
      state.dataDir,
      state.clusterId,
      brokers,
      {
        brokers: brokers.length,
        heapMb: state.heapMb,
        keepData: state.keepData,
        readyTimeoutMs: 90_000,
        stopTimeoutMs: 15_000,
        detached: true,
      },
      state.security,
    );
    for (const b of brokers) if (b.pid !== undefined && !cluster.isOurs(b)) b.pid = undefined;
    return cluster;
  }

  /** What {@link KafkaCluster.attach} needs, as plain JSON. */
  state(): ClusterState {
    const { dataDir, clusterId, bootstrap, security } = this;
    const { heapMb, keepData } = this.opts;
    return {
      bootstrap,
      dataDir,
      clusterId,
      heapMb,
      keepData,
      brokers: this.brokers.map((b) => ({ ...b })),
      ...(security && { security }),
    };
  }

  /** The node with this id, or an error naming the valid ids. */
  broker(id: number): BrokerInfo {
    const b = this.brokers.find((x) => x.id === id);
    if (!b) throw new Error(`no broker ${id}; ids are ${this.brokers.map((x) => x.id).join(',')}`);
    return b;
  }

  /** True when the node's process is alive (a paused node counts as running). */
  isRunning(id: number): boolean {
    const b = this.broker(id);
    return b.pid !== undefined && isAlive(b.pid);
  }

  /** Path of a node's log4j broker log, useful in test failure messages. */
  logFile(id: number): string {
    return join(this.nodeDir(this.broker(id)), 'logs', 'server.log');
  }

  /** SIGKILLs one node (a crash: no controlled shutdown) and waits until it is gone. */
  async kill(id: number): Promise<void> {
    const b = this.broker(id);
    if (b.pid === undefined) return;
    signal(b.pid, 'SIGKILL');
    await waitForExit(b.pid, 10_000);
    this.forget(b);
  }

  /** SIGSTOPs one node: it keeps its sockets open but stops answering, like a long GC pause. */
  pause(id: number): void {
    const b = this.broker(id);
    if (b.pid !== undefined) signal(b.pid, 'SIGSTOP');
  }

  /** SIGCONTs a node paused with {@link pause}. */
  resume(id: number): void {
    const b = this.broker(id);
    if (b.pid !== undefined) signal(b.pid, 'SIGCONT');
  }

  /**
   * Starts a node again on the same ports and data (stopping it first if it still runs) and
   * waits until it answers metadata.
   */
  async restart(id: number): Promise<void> {
    const b = this.broker(id);
    await this.stopNode(b, this.opts.stopTimeoutMs);
    this.spawnNode(b, await ensureKafkaJars());
    await this.waitUntilReady(id);
  }

  /**
   * Waits until the node (or every running node when `id` is omitted) lists itself in the
   * metadata it serves. Fails early if the process dies; the error includes its log tail.
   */
  async waitUntilReady(id?: number, timeoutMs = this.opts.readyTimeoutMs): Promise<void> {
    const targets = id === undefined ? this.brokers : [this.broker(id)];
    await Promise.all(targets.map((b) => this.waitForNode(b, timeoutMs)));
  }

  /**
   * Stops every node: SIGTERM (plus SIGCONT for paused ones), SIGKILL after `timeoutMs`
   * (default: the cluster's stopTimeoutMs, 15 s), then deletes dataDir unless keepData.
   */
  async stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? this.opts.stopTimeoutMs;
    await Promise.all(this.brokers.map((b) => this.stopNode(b, timeoutMs)));
    owned.delete(this);
    if (this.watchdogPid !== undefined) signal(this.watchdogPid, 'SIGKILL');
    this.watchdogPid = undefined;
    if (!this.opts.keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** @internal Synchronous last-resort cleanup used by the process exit hook. */
  killAllSync(): void {
    for (const b of this.brokers) if (b.pid !== undefined) signal(b.pid, 'SIGKILL');
    if (this.watchdogPid !== undefined) signal(this.watchdogPid, 'SIGKILL');
    if (!this.opts.keepData) {
      try {
        rmSync(this.dataDir, { recursive: true, force: true });
      } catch {
        // a dying broker may still be writing; leftovers live in a temp folder
      }
    }
  }

  private nodeDir(b: BrokerSpec): string {
    return join(this.dataDir, `node-${b.id}`);
  }

  private async format(
    b: BrokerSpec,
    all: BrokerSpec[],
    config: Record<string, string>,
    extraArgs: string[],
  ) {
    const dir = this.nodeDir(b);
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const props = join(dir, 'server.properties');
    writeFileSync(
      props,
      renderServerProperties({ node: b, all, logDir: join(dir, 'data'), config }),
    );
    const args = ['kafka.tools.StorageTool', 'format', '-t', this.clusterId, '-c', props];
    await runJava([...args, ...extraArgs], { timeoutMs: 60_000 });
  }

  private spawnNode(b: BrokerInfo, classpath: string): void {
    const dir = this.nodeDir(b);
    const heap = this.opts.heapMb;
    const args = [
      `-Xms${Math.min(256, heap)}m`,
      `-Xmx${heap}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `${MARKER}${dir}`,
      `-Dkafka.logs.dir=${join(dir, 'logs')}`,
      `-Dlog4j2.configurationFile=${join(kafkaToolsDir(), 'log4j2-broker.properties')}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      join(dir, 'server.properties'),
    ];
    const out = openSync(join(dir, 'logs', 'stdout.log'), 'a');
    try {
      const child = spawn(javaBin(), args, {
        cwd: dir,
        detached: this.opts.detached,
        stdio: ['ignore', out, out],
      });
      if (child.pid === undefined) throw new Error(`could not spawn ${javaBin()} for node ${b.id}`);
      child.on('error', () => undefined);
      child.unref();
      b.pid = child.pid;
    } finally {
      closeSync(out);
    }
    if (!this.opts.detached) {
      owned.add(this);
      installExitHook();
      this.watchdogPid ??= startWatchdog(
        `${MARKER}${join(this.dataDir, 'node-')}`,
        this.dataDir,
        this.opts.keepData,
      );
    }
  }

  private async waitForNode(b: BrokerInfo, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (b.pid === undefined || !isAlive(b.pid)) {
        throw new Error(`Kafka node ${b.id} is not running.\n${this.logTail(b)}`);
      }
      if (await brokerAnswers(b.port, b.id)) return;
      if (Date.now() >= deadline) {
        throw new Error(
          `Kafka node ${b.id} (127.0.0.1:${b.port}) not ready after ${timeoutMs} ms.\n${this.logTail(b)}`,
        );
      }
      await sleep(200);
    }
  }

  private async stopNode(b: BrokerInfo, timeoutMs: number): Promise<void> {
    const pid = b.pid;
    if (pid === undefined) return;
    signal(pid, 'SIGTERM');
    signal(pid, 'SIGCONT');
    if (!(await waitForExit(pid, timeoutMs))) {
      signal(pid, 'SIGKILL');
      await waitForExit(pid, 10_000);
    }
    this.forget(b);
  }

  private forget(b: BrokerInfo): void {
    b.pid = undefined;
    if (this.brokers.every((x) => x.pid === undefined)) owned.delete(this);
  }

  private isOurs(b: BrokerInfo): boolean {
    const cmd = b.pid === undefined ? undefined : commandLine(b.pid);
    return cmd !== undefined && isAlive(b.pid!) && cmd.includes(`${MARKER}${this.nodeDir(b)} `);
  }

  /** First ERROR/FATAL lines (the cause usually comes first) plus the last 40 lines of the log. */
  private logTail(b: BrokerSpec): string {
    const dir = join(this.nodeDir(b), 'logs');
    const stdout = tail(join(dir, 'stdout.log'), 20).trim();
    const log = tail(join(dir, 'server.log'), 40).trim();
    const errors = firstErrors(join(dir, 'server.log'), 10);
    return [
      errors && `--- node-${b.id} server.log: first errors ---\n${errors}`,
      `--- node-${b.id} server.log: tail ---\n${log}`,
      stdout && `--- node-${b.id} stdout ---\n${stdout}`,
    ]
      .filter(Boolean)
      .join('\n');
  }
}

/** Creates the data folder, refusing a non-empty one so no unrelated data is ever deleted. */
function prepareDataDir(dir: string | undefined): string {
  if (dir === undefined) return mkdtempSync(join(tmpdir(), 'kafka-harness-'));
  const abs = resolve(dir);
  if (existsSync(abs) && readdirSync(abs).length > 0) {
    throw new Error(`dataDir ${abs} is not empty; stop the old cluster or pick another folder`);
  }
  mkdirSync(abs, { recursive: true });
  return abs;
}
