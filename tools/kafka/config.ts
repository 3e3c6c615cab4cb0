import { randomBytes } from 'node:crypto';

/** One KRaft node's identity and loopback ports. */
export interface BrokerSpec {
  id: number;
  port: number;
  controllerPort: number;
  /**
   * Port of the optional EXTERNAL client listener (see `externalAdvertisedPort` in
   * KafkaClusterOptions), and the port it advertises, e.g. a fault proxy's in front of it.
   */
  externalPort?: number;
  externalAdvertisedPort?: number;
  /** Port of the optional SASL_SSL client listener (see `security` in KafkaClusterOptions). */
  securePort?: number;
  /** Port of the optional SSL listener that requires client certificates (mutual TLS). */
  mutualTlsPort?: number;
}

/**
 * Parses a comma-separated bootstrap list such as `127.0.0.1:9092,127.0.0.1:9093` (the
 * KAFKA_BROKERS convention used by the e2e tests). Returns undefined when the variable is unset
 * or blank, so callers can fall back to starting their own broker.
 */
export function parseBrokers(
  env: string | undefined = process.env.KAFKA_BROKERS,
): string[] | undefined {
  const list = (env ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return list.length > 0 ? list : undefined;
}

/**
 * A KRaft cluster id: 16 random bytes in unpadded base64url (22 chars), the format
 * `kafka-storage.sh random-uuid` prints. Made here to save a JVM start. Avoids a leading `-`
 * (it would read as a command-line flag) and the all-zero id, as Kafka's own Uuid.randomUuid does.
 */
export function randomClusterId(): string {
  for (;;) {
    const bytes = randomBytes(16);
    const id = bytes.toString('base64url');
    if (!id.startsWith('-') && bytes.some((b) => b !== 0)) return id;
  }
}

/**
 * Broker defaults tuned for fast, deterministic tests; `overrides` wins on every key.
 * Replication factors follow the cluster size (capped at 3) so internal topics can be
 * created on a 1-broker cluster; internal topics get 5 partitions instead of 50 so the first
 * consumer group or transaction does not wait for 50 partition leaders. A shorter broker session
 * (6 s instead of 9 s) makes a killed node fenced, and able to come back, sooner.
 */
export function defaultBrokerConfig(brokerCount: number): Record<string, string> {
  const rf = String(Math.min(brokerCount, 3));
  const minIsr = String(Math.min(brokerCount, 2));
  return {
    'num.partitions': '3',
    'default.replication.factor': rf,
    'auto.create.topics.enable': 'true',
    'offsets.topic.replication.factor': rf,
    'offsets.topic.num.partitions': '5',
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'transaction.state.log.num.partitions': '5',
    'share.coordinator.state.topic.replication.factor': rf,
    'share.coordinator.state.topic.min.isr': minIsr,
    'group.initial.rebalance.delay.ms': '0',
    // A killed node can only re-register once its old session expired (default 9 s).
    'broker.session.timeout.ms': '6000',
    'broker.heartbeat.interval.ms': '1000',
    'min.insync.replicas': '1',
    'unclean.leader.election.enable': 'false',
  };
}

/**
 * Renders one node's server.properties: combined `broker,controller` roles, a static
 * `controller.quorum.voters` list naming every node (so storage can be formatted without
 * `--standalone`/`--initial-controllers`), PLAINTEXT on 127.0.0.1 advertised as-is (brokers
 * replicate over it). A node with an `externalPort` also gets an EXTERNAL listener there that
 * advertises 127.0.0.1:`externalAdvertisedPort`, so clients bootstrapped through a proxy only
 * ever talk through proxies while replication stays direct. A node with a `securePort` also
 * gets a SASL_SSL listener there (its TLS, SASL and authorizer settings come in `config`), and
 * one with a `mutualTlsPort` an SSL listener there that requires a client certificate.
 */
export function renderServerProperties(opts: {
  node: BrokerSpec;
  all: BrokerSpec[];
  logDir: string;
  config: Record<string, string>;
}): string {
  const { node, all } = opts;
  const ext = node.externalPort;
  const extAdvertised = node.externalAdvertisedPort ?? ext;
  const secure =
    (node.securePort === undefined ? '' : `,SASL_SSL://127.0.0.1:${node.securePort}`) +
    (node.mutualTlsPort === undefined ? '' : `,SSL://127.0.0.1:${node.mutualTlsPort}`);
  const fixed: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(node.id),
    'controller.quorum.voters': all.map((b) => `${b.id}@127.0.0.1:${b.controllerPort}`).join(','),
    listeners:
      `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}` +
      (ext === undefined ? '' : `,EXTERNAL://127.0.0.1:${ext}`) +
      secure,
    'advertised.listeners':
      `PLAINTEXT://127.0.0.1:${node.port}` +
      (ext === undefined ? '' : `,EXTERNAL://127.0.0.1:${extAdvertised}`) +
      secure,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map':
      'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT' +
      (ext === undefined ? '' : ',EXTERNAL:PLAINTEXT') +
      (node.securePort === undefined ? '' : ',SASL_SSL:SASL_SSL') +
      (node.mutualTlsPort === undefined ? '' : ',SSL:SSL'),
    'log.dirs': opts.logDir,
  };
  const merged = { ...fixed, ...opts.config };
  return Object.entries(merged)
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join('\n')
    .concat('\n');
}

/** Escapes a java.util.Properties value (backslashes, and leading spaces / line breaks). */
function escapeProperty(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/^ /, '\\ ');
}

/** The bootstrap string for a list of nodes: `127.0.0.1:p1,127.0.0.1:p2`. */
export function bootstrapOf(brokers: BrokerSpec[]): string {
  return brokers.map((b) => `127.0.0.1:${b.port}`).join(',');
}

/** The bootstrap string of the nodes' SASL_SSL (or mutual TLS) listeners, if they have them. */
export function secureBootstrapOf(
  brokers: BrokerSpec[],
  listener: 'securePort' | 'mutualTlsPort' = 'securePort',
): string | undefined {
  if (brokers.some((b) => b[listener] === undefined)) return undefined;
  return brokers.map((b) => `127.0.0.1:${b[listener]}`).join(',');
}
