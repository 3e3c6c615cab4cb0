import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultBrokerConfig,
  parseBrokers,
  randomClusterId,
  renderServerProperties,
  secureBootstrapOf,
} from './config.js';
import { aclEntries, prepareSecurity } from './security.js';
import { consoleTokens, formatterProperties, parseConsoleOutput } from './console-output.js';
import { firstErrors, freePorts, isAlive } from './os-utils.js';
import { repoRoot } from './paths.js';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

describe('parseBrokers', () => {
  it('splits, trims and drops blanks', () => {
    expect(parseBrokers(' 127.0.0.1:1, 127.0.0.1:2 ,')).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
  });
  it('is undefined when blank', () => {
    // (not parseBrokers(undefined): that reads KAFKA_BROKERS, which the e2e setup sets)
    expect(parseBrokers('')).toBeUndefined();
    expect(parseBrokers(' , ')).toBeUndefined();
  });
});

describe('randomClusterId', () => {
  it('is 22 chars of base64url for 16 bytes, never starting with -', () => {
    for (let i = 0; i < 200; i++) {
      const id = randomClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });
});

describe('broker config', () => {
  const nodes = [1, 2, 3].map((id) => ({ id, port: 9000 + id, controllerPort: 9100 + id }));

  it('scales internal replication with the cluster size', () => {
    expect(defaultBrokerConfig(1)).toMatchObject({
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'num.partitions': '3',
      'group.initial.rebalance.delay.ms': '0',
    });
    expect(defaultBrokerConfig(3)).toMatchObject({
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
    });
  });

  it('renders combined KRaft nodes with static voters and lets overrides win', () => {
    const text = renderServerProperties({
      node: nodes[1],
      all: nodes,
      logDir: '/d',
      config: { ...defaultBrokerConfig(3), 'min.insync.replicas': '2' },
    });
    const lines = text.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'process.roles=broker,controller',
        'node.id=2',
        'controller.quorum.voters=1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103',
        'listeners=PLAINTEXT://127.0.0.1:9002,CONTROLLER://127.0.0.1:9102',
        'advertised.listeners=PLAINTEXT://127.0.0.1:9002',
        'log.dirs=/d',
        'min.insync.replicas=2',
      ]),
    );
    expect(lines.filter((l) => l.startsWith('min.insync.replicas='))).toHaveLength(1);
  });

  it('adds an EXTERNAL listener advertising another port (a proxy) when asked; brokers replicate over PLAINTEXT', () => {
    const node = { ...nodes[0], externalPort: 9201, externalAdvertisedPort: 9301 };
    const lines = renderServerProperties({ node, all: nodes, logDir: '/d', config: {} })
      .trim()
      .split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'listeners=PLAINTEXT://127.0.0.1:9001,CONTROLLER://127.0.0.1:9101,EXTERNAL://127.0.0.1:9201',
        'advertised.listeners=PLAINTEXT://127.0.0.1:9001,EXTERNAL://127.0.0.1:9301',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,EXTERNAL:PLAINTEXT',
      ]),
    );
  });
});

describe('security config', () => {
  const nodes = [{ id: 1, port: 9001, controllerPort: 9101, securePort: 9201 }];

  it('adds a SASL_SSL client listener, advertised as-is; PLAINTEXT stays the internal listener', () => {
    const lines = renderServerProperties({ node: nodes[0], all: nodes, logDir: '/d', config: {} })
      .trim()
      .split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'listeners=PLAINTEXT://127.0.0.1:9001,CONTROLLER://127.0.0.1:9101,SASL_SSL://127.0.0.1:9201',
        'advertised.listeners=PLAINTEXT://127.0.0.1:9001,SASL_SSL://127.0.0.1:9201',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
      ]),
    );
    expect(secureBootstrapOf(nodes)).toBe('127.0.0.1:9201');
    expect(secureBootstrapOf([{ id: 1, port: 1, controllerPort: 2 }])).toBeUndefined();
  });

  it('adds an SSL listener for mutual TLS when a node has a mutualTlsPort', () => {
    const node = { ...nodes[0], mutualTlsPort: 9301 };
    const lines = renderServerProperties({ node, all: [node], logDir: '/d', config: {} })
      .trim()
      .split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'listeners=PLAINTEXT://127.0.0.1:9001,CONTROLLER://127.0.0.1:9101,SASL_SSL://127.0.0.1:9201,SSL://127.0.0.1:9301',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL',
      ]),
    );
    expect(secureBootstrapOf([node], 'mutualTlsPort')).toBe('127.0.0.1:9301');
  });

  it('refuses a SCRAM user name or password that kafka-storage could not parse, before any keytool run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-security-'));
    try {
      await expect(prepareSecurity(dir, { users: { alice: 'pass,word]' } })).rejects.toThrow(
        /may only hold \[A-Za-z0-9._@-\] \(user "alice"\)/,
      );
      expect(existsSync(join(dir, 'tls'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns ACL rules into one kafkajs entry per operation', () => {
    const entries = aclEntries([
      { user: 'alice', name: 'orders-', pattern: 'prefixed', operations: ['write', 'describe'] },
      { user: 'bob', resource: 'cluster', operations: ['idempotent-write'], permission: 'deny' },
    ]);
    expect(entries).toEqual([
      {
        principal: 'User:alice',
        host: '*',
        operation: AclOperationTypes.WRITE,
        permissionType: AclPermissionTypes.ALLOW,
        resourceType: AclResourceTypes.TOPIC,
        resourceName: 'orders-',
        resourcePatternType: ResourcePatternTypes.PREFIXED,
      },
      expect.objectContaining({ principal: 'User:alice', operation: AclOperationTypes.DESCRIBE }),
      {
        principal: 'User:bob',
        host: '*',
        operation: AclOperationTypes.IDEMPOTENT_WRITE,
        permissionType: AclPermissionTypes.DENY,
        resourceType: AclResourceTypes.CLUSTER,
        resourceName: 'kafka-cluster',
        resourcePatternType: ResourcePatternTypes.LITERAL,
      },
    ]);
  });
});

describe('parseConsoleOutput', () => {
  const t = consoleTokens();
  const rec = (...fields: string[]) => fields.join(t.field) + t.line;

  it('parses records, nulls, headers and separators inside data', () => {
    const out = Buffer.from(
      rec('CreateTime:17', 'Partition:2', 'Offset:5', `a:1${t.header}b:x:y`, 'k', 'v\n|\t') +
        rec('NO_TIMESTAMP', 'Partition:0', 'Offset:0', 'NO_HEADERS', t.nullLiteral, '') +
        rec(
          'LogAppendTime:9',
          'Partition:1',
          'Offset:12',
          `h:${t.nullLiteral}`,
          'k2',
          t.nullLiteral,
        ),
    );
    expect(parseConsoleOutput(out, t)).toEqual([
      {
        partition: 2,
        offset: '5',
        timestamp: '17',
        timestampType: 'CreateTime',
        headers: { a: '1', b: 'x:y' },
        key: 'k',
        value: 'v\n|\t',
      },
      {
        partition: 0,
        offset: '0',
        timestamp: null,
        timestampType: null,
        headers: {},
        key: null,
        value: '',
      },
      {
        partition: 1,
        offset: '12',
        timestamp: '9',
        timestampType: 'LogAppendTime',
        headers: { h: '' },
        key: 'k2',
        value: null,
      },
    ]);
  });

  it('returns raw fields as hex', () => {
    const raw = Buffer.concat([
      Buffer.from(['CreateTime:1', 'Partition:0', 'Offset:0', 'NO_HEADERS', ''].join(t.field)),
      Buffer.from([0x00, 0xff]),
      Buffer.from(t.field),
      Buffer.from([0x80]),
      Buffer.from(t.line),
    ]);
    expect(parseConsoleOutput(raw, t, { key: true, value: true })[0]).toMatchObject({
      key: '00ff',
      value: '80',
    });
  });

  it('rejects malformed output', () => {
    expect(() => parseConsoleOutput(Buffer.from('garbage'), t)).toThrow(/unterminated/);
    expect(() => parseConsoleOutput(Buffer.from(rec('a', 'b')), t)).toThrow(/2 fields/);
  });

  it('configures every separator with the run nonce', () => {
    const props = formatterProperties(t);
    expect(props['key.separator']).toBe(t.field);
    expect(props['null.literal']).toBe(t.nullLiteral);
    expect(new Set([t.field, t.line, t.header, t.nullLiteral]).size).toBe(4);
  });
});

describe('os and paths helpers', () => {
  it('finds the repo root with the pom', () => {
    expect(existsSync(join(repoRoot(), 'tools', 'kafka', 'pom.xml'))).toBe(true);
  });
  it('picks distinct free ports', async () => {
    const ports = await freePorts(4);
    expect(new Set(ports).size).toBe(4);
    expect(ports.every((p) => p > 0 && p < 65536)).toBe(true);
  });
  it('knows this process is alive', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(2 ** 22 + 1)).toBe(false);
  });
});

describe('firstErrors', () => {
  it('keeps ERROR entries and exception lines, once each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-spec-'));
    const file = join(dir, 'server.log');
    writeFileSync(
      file,
      [
        '[2026-01-01 00:00:00,000] INFO fine (x)',
        '[2026-01-01 00:00:01,000] ERROR Unable to start acceptor (y)',
        'org.apache.kafka.common.KafkaException: failed to bind: Address already in use.',
        '\tat a.b.C(C.java:1)',
        'Caused by: java.net.BindException: Address already in use',
        'Caused by: java.net.BindException: Address already in use',
      ].join('\n'),
    );
    try {
      expect(firstErrors(file, 10).split('\n')).toEqual([
        '[2026-01-01 00:00:01,000] ERROR Unable to start acceptor (y)',
        'org.apache.kafka.common.KafkaException: failed to bind: Address already in use.',
        'Caused by: java.net.BindException: Address already in use',
      ]);
      expect(firstErrors(join(dir, 'missing.log'), 10)).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
