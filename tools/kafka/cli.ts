/**
 * `npm run kafka -- start [--brokers 1|3] [--heap-mb N] [--config key=value]... [--secure]`
 * `npm run kafka -- status` / `npm run kafka -- stop`
 *
 * Runs a local KRaft cluster that outlives this command (for running the e2e tests or the sample
 * repeatedly against one broker). State lives in .kafka/cluster.json, data in .kafka/cluster/.
 * `start` prints `KAFKA_BROKERS=<bootstrap>` on stdout, so `export $(npm run -s kafka -- start)`
 * works; everything else goes to stderr. `--secure` adds a SASL_SSL listener (see security.ts)
 * with the super user `admin` and a user `app` that may do anything on every topic and group,
 * and also prints `KAFKA_SASL_SSL_BROKERS`, `KAFKA_CA_FILE` and `KAFKA_SASL_USERS` (name:password,
 * comma-separated).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaCluster, type ClusterState, type KafkaClusterOptions } from './cluster.js';
import { randomPassword } from './tls.js';
import { repoRoot } from './paths.js';
import { brokerAnswers } from './readiness.js';

const stateFile = () => join(repoRoot(), '.kafka', 'cluster.json');
const dataDir = () => join(repoRoot(), '.kafka', 'cluster');

function readState(): ClusterState | undefined {
  const file = stateFile();
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
}

/** The attached cluster when a state file exists and at least one of its brokers still runs. */
function runningCluster(): KafkaCluster | undefined {
  const state = readState();
  if (!state) return undefined;
  const cluster = KafkaCluster.attach(state);
  return cluster.brokers.some((b) => b.pid !== undefined) ? cluster : undefined;
}

function parseStartArgs(args: string[]) {
  let brokers = 1;
  let heapMb: number | undefined;
  let security: KafkaClusterOptions['security'];
  const brokerConfig: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => inline ?? args[++i] ?? fail(`${flag} needs a value`);
    if (flag === '--brokers') brokers = Number(value());
    else if (flag === '--heap-mb') heapMb = Number(value());
    else if (flag === '--secure') security = SECURE_DEFAULTS();
    else if (flag === '--config') {
      const [k, v] = value().split(/=(.*)/s, 2);
      if (v === undefined) fail(`--config expects key=value`);
      brokerConfig[k] = v;
    } else fail(`unknown option ${args[i]}`);
  }
  return { brokers, heapMb, brokerConfig, security };
}

/** `--secure`: a user `app` (random password) that may do anything on every topic and group. */
const SECURE_DEFAULTS = (): NonNullable<KafkaClusterOptions['security']> => ({
  users: { app: randomPassword() },
  acls: [
    { user: 'app', resource: 'topic', name: '*', operations: ['all'] },
    { user: 'app', resource: 'group', name: '*', operations: ['all'] },
  ],
});

/** The stdout lines of `start`: `export $(npm run -s kafka -- start)` takes them. */
function printEnv(cluster: KafkaCluster): void {
  console.log(`KAFKA_BROKERS=${cluster.bootstrap}`);
  const { security } = cluster;
  if (!security) return;
  const users = Object.entries(security.users).map(([name, password]) => `${name}:${password}`);
  console.log(`KAFKA_SASL_SSL_BROKERS=${security.bootstrap}`);
  console.log(`KAFKA_CA_FILE=${security.caFile}`);
  console.log(`KAFKA_SASL_USERS=${users.join(',')}`);
  console.error(
    `SASL_SSL on ${security.bootstrap}: SCRAM-SHA-256/512 or OAUTHBEARER (unsecured JWT), CA ${security.caFile}; ` +
      `super user ${security.superUser}; users ${Object.keys(security.users).join(', ')}`,
  );
}

function fail(message: string): never {
  throw new Error(message);
}

async function start(args: string[]): Promise<void> {
  const opts = parseStartArgs(args);
  const existing = runningCluster();
  if (existing) {
    console.error(`Kafka is already running (state in ${stateFile()}).`);
    printEnv(existing);
    return;
  }
  rmSync(stateFile(), { force: true });
  rmSync(dataDir(), { recursive: true, force: true });
  const t0 = Date.now();
  const cluster = await KafkaCluster.start({ ...opts, dataDir: dataDir(), detached: true });
  writeFileSync(stateFile(), JSON.stringify(cluster.state(), null, 2) + '\n');
  const pids = cluster.brokers.map((b) => b.pid).join(',');
  console.error(
    `Started ${cluster.brokers.length} Kafka broker(s) in ${Date.now() - t0} ms (pids ${pids}); logs in ${dataDir()}/node-*/logs`,
  );
  printEnv(cluster);
}

async function status(): Promise<number> {
  const state = readState();
  if (!state) {
    console.log('Kafka: not started (no .kafka/cluster.json)');
    return 1;
  }
  const cluster = KafkaCluster.attach(state);
  let healthy = true;
  printEnv(cluster);
  for (const b of cluster.brokers) {
    const ready = b.pid !== undefined && (await brokerAnswers(b.port, b.id));
    healthy &&= ready;
    const what = b.pid === undefined ? 'not running' : ready ? 'ready' : 'running, not answering';
    console.log(`broker ${b.id}: 127.0.0.1:${b.port} pid ${b.pid ?? '-'} ${what}`);
  }
  return healthy ? 0 : 1;
}

async function stop(): Promise<void> {
  const state = readState();
  if (!state) {
    console.error('Kafka: nothing to stop (no .kafka/cluster.json)');
    return;
  }
  await KafkaCluster.attach(state).stop();
  rmSync(dataDir(), { recursive: true, force: true });
  rmSync(stateFile(), { force: true });
  console.error('Kafka stopped; data removed.');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      await start(rest);
      return 0;
    case 'stop':
      await stop();
      return 0;
    case 'status':
      return status();
    default:
      console.error(
        'usage: kafka start [--brokers 1|3] [--heap-mb N] [--config k=v]... [--secure] | status | stop',
      );
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
