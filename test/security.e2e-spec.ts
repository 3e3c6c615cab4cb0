import 'reflect-metadata';
import { Logger, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsInt, IsString } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel, type KafkaConfig } from 'kafkajs';
import {
  AuthenticationError,
  AuthorizationError,
  KafkaEvent,
  KafkaProducerModule,
  KeyedBy,
  MemoryOutboxStore,
  ProducerService,
  TlsError,
  type KafkaProducerModuleOptions,
} from '../lib/index.js';
import {
  createCertificateAuthority,
  KafkaCluster,
  mutualTlsClientConfig,
  secureClientConfig,
  SUPER_USER,
  type ClusterSecurity,
} from '../tools/kafka/harness.js';
import { warmUpGroupCoordinator } from './global-setup.js';
import { ChildScript, exited } from './support/child-script.js';
import { createTopic, uniqueTopic } from './support/kafka-env.js';
import { errorTexts, LogCapture } from './support/log-capture.js';
import { readTopic, topicRecordCount } from './support/read-topic.js';

/** alice may write (and describe) topics starting `e2e-sec-ok-`, and only describe `e2e-sec-ro-`. */
const okTopic = uniqueTopic('e2e-sec-ok');
const readOnlyTopic = uniqueTopic('e2e-sec-ro');
/** Topics the transactions write (alice may write them): read_committed readers count markers out. */
const txTopics = [uniqueTopic('e2e-sec-ok-tx'), uniqueTopic('e2e-sec-ok-tx')];
/** No ACL names this topic: alice may not even see it. */
const hiddenTopic = uniqueTopic('e2e-sec-hidden');

/** alice may use the transactional ids starting with this; no ACL names any other one. */
const TX_ALLOWED = 'e2e-sec-tx-ok';

const password = (who: string) => `${who}-${randomBytes(12).toString('hex')}`;
const alicePassword = password('alice');
const nobodyPassword = password('nobody');
const wrongPassword = password('wrong');

@KafkaEvent(okTopic)
@KeyedBy('id')
class Payment {
  @IsString() id!: string;
  @IsInt() cents!: number;

  static of(id: string, cents = 100): Payment {
    return Object.assign(new Payment(), { id, cents });
  }
}

/** An unsecured OAUTHBEARER token (alg "none"), what the broker's default validator takes. */
function unsecuredJwt(sub: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none' })}.${part({ sub, iat: now, exp: now + 600 })}.`;
}

describe('security on a real broker: TLS, SASL/SCRAM, OAUTHBEARER and ACLs', () => {
  const logs = new LogCapture();
  /** Every error a test saw, for the secrets check after each test. */
  const errors: unknown[] = [];
  let cluster: KafkaCluster;
  let security: ClusterSecurity;
  let ca: string;
  let strangerCa: string;
  let dir: string;
  /** Texts that must never appear in a log line or an error. */
  let secrets: string[];
  const apps: INestApplicationContext[] = [];

  /** The super user's client options (topic set-up and the independent reader). */
  const admin = () => secureClientConfig(security, { mechanism: 'scram-sha-256' });
  const alice = (mechanism: 'scram-sha-256' | 'scram-sha-512' = 'scram-sha-512'): KafkaConfig => {
    const login = { username: 'alice', password: alicePassword };
    return {
      brokers: security.bootstrap.split(','),
      ssl: { ca: [ca] },
      sasl: mechanism === 'scram-sha-256' ? { mechanism, ...login } : { mechanism, ...login },
    };
  };

  /** Every record of `topic`, read over SASL_SSL by the super user's own consumer. */
  async function readAll(topic: string) {
    const brokers = security.bootstrap.split(',');
    const count = await topicRecordCount(brokers, topic, admin());
    return readTopic(brokers, topic, count, { client: admin() });
  }

  /** An app whose producer uses `client`; init() rejects when an eager connect fails. */
  async function boot(
    client: KafkaConfig,
    extra: Partial<KafkaProducerModuleOptions> = {},
  ): Promise<INestApplicationContext> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          // DEBUG: every kafkajs line goes through the log bridge, the SASL exchange included.
          client: { clientId: 'e2e-security', logLevel: logLevel.DEBUG, ...client },
          connectRetries: 5,
          ...extra,
        }),
      ],
    })
      .setLogger(logs)
      .compile();
    apps.push(moduleRef);
    return moduleRef.init();
  }

  /** The error an eager start fails with. */
  async function startError(client: KafkaConfig): Promise<unknown> {
    const error = await boot(client).then(
      () => new Error('the app started'),
      (e: unknown) => e,
    );
    errors.push(error);
    return error;
  }

  /** The error the first send of a lazily connecting app rejects with. */
  async function lazySendError(client: KafkaConfig): Promise<unknown> {
    const app = await boot(client, { connect: 'lazy', producer: { deliveryTimeoutMs: 60_000 } });
    const error = await app
      .get(ProducerService)
      .send(Payment.of('lazy'))
      .then(
        () => new Error('the send succeeded'),
        (e: unknown) => e,
      );
    errors.push(error);
    return error;
  }

  /** Lines saying the module tried again: a second connect attempt, or a send retry. */
  const retryLines = (from: number) =>
    logs.since(from).filter((l) => /connect attempt [2-9]\/|retrying \d+ record/.test(l));

  beforeAll(async () => {
    Logger.overrideLogger(logs);
    dir = mkdtempSync(join(tmpdir(), 'security-e2e-'));
    const stranger = createCertificateAuthority(dir, 'stranger-ca');
    cluster = await KafkaCluster.start({
      security: {
        users: { alice: alicePassword, nobody: nobodyPassword },
        clientCertificates: ['billing'],
        acls: [
          {
            user: 'CN=billing',
            name: 'e2e-sec-ok-',
            pattern: 'prefixed',
            operations: ['write', 'describe'],
          },
          {
            user: 'alice',
            name: 'e2e-sec-ok-',
            pattern: 'prefixed',
            operations: ['write', 'describe'],
          },
          { user: 'alice', name: 'e2e-sec-ro-', pattern: 'prefixed', operations: ['describe'] },
          {
            user: 'alice',
            resource: 'transactional-id',
            name: TX_ALLOWED,
            pattern: 'prefixed',
            operations: ['write', 'describe'],
          },
        ],
      },
    });
    security = cluster.security!;
    ca = readFileSync(security.caFile, 'utf8');
    strangerCa = readFileSync((await stranger).pemFile, 'utf8');
    for (const topic of [okTopic, readOnlyTopic, hiddenTopic, ...txTopics]) {
      await createTopic(security.bootstrap.split(','), topic, 2, 1, admin());
    }
    await warmUpGroupCoordinator(security.bootstrap.split(','), admin());
    const serverProperties = readFileSync(join(cluster.dataDir, 'node-1', 'server.properties'));
    const keystorePassword = /ssl\.keystore\.password=(\w+)/.exec(serverProperties.toString())![1];
    secrets = [
      alicePassword,
      nobodyPassword,
      wrongPassword,
      security.users[SUPER_USER],
      keystorePassword,
      security.clientKeystores.billing.password,
    ];
  }, 180_000);

  /** Where this test's log lines start. */
  let mark = 0;
  beforeEach(() => {
    mark = logs.lines.length;
    errors.length = 0;
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    // Secrets never leave: not in a log line (the module's and kafkajs's), not in an error.
    const texts = [...logs.since(mark), ...errors.flatMap(errorTexts)];
    for (const secret of secrets ?? []) {
      expect(texts.filter((t) => t.includes(secret))).toEqual([]);
    }
    // No private key, no SCRAM client message (its proof), and no raw bytes (kafkajs logs the
    // broker's SASL answers at debug level as a Buffer: the bridge shows them redacted).
    const leaks = /PRIVATE KEY|c=biws|n,,n=|,p=[A-Za-z0-9+/]{20}|"type":"Buffer","data":\[/;
    expect(texts.filter((t) => leaks.test(t))).toEqual([]);
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects over TLS (the CA from the options) with SCRAM-SHA-512 and -256; the records are on the broker', async () => {
    const reports = [];
    for (const mechanism of ['scram-sha-512', 'scram-sha-256'] as const) {
      const app = await boot(alice(mechanism));
      reports.push(await app.get(ProducerService).send(Payment.of(mechanism, 1)));
      await app.close();
    }
    const read = await readAll(okTopic);
    const stored = read.map((r) => ({
      partition: r.partition,
      offset: r.offset,
      value: JSON.parse(r.value!.toString()) as unknown,
    }));
    expect(stored).toEqual(
      expect.arrayContaining(
        reports.map((report, i) => ({
          partition: report.partition,
          offset: report.offset,
          value: { id: ['scram-sha-512', 'scram-sha-256'][i], cents: 1 },
        })),
      ),
    );
    expect(stored).toHaveLength(2);
  });

  it('OAUTHBEARER with a token provider function connects and sends', async () => {
    const token = unsecuredJwt('alice');
    secrets.push(token);
    const app = await boot({
      brokers: security.bootstrap.split(','),
      ssl: { ca: [ca] },
      sasl: {
        mechanism: 'oauthbearer',
        oauthBearerProvider: () => Promise.resolve({ value: token }),
      },
    });
    const report = await app.get(ProducerService).send(Payment.of('oauth', 2));
    const read = await readAll(okTopic);
    const mine = read.find((r) => r.partition === report.partition && r.offset === report.offset);
    expect(JSON.parse(mine!.value!.toString())).toEqual({ id: 'oauth', cents: 2 });
  });

  it('mutual TLS: the client certificate (PKCS12 and its passphrase in the options) is the principal', async () => {
    const app = await boot(mutualTlsClientConfig(security, 'billing'));
    const report = await app.get(ProducerService).send(Payment.of('mtls', 5));
    const read = await readAll(okTopic);
    const mine = read.find((r) => r.partition === report.partition && r.offset === report.offset);
    expect(JSON.parse(mine!.value!.toString())).toEqual({ id: 'mtls', cents: 5 });
  });

  it('mutual TLS without a client certificate: the broker refuses the handshake, a TlsError that says so, at once', async () => {
    const client: KafkaConfig = {
      brokers: security.mutualTlsBootstrap!.split(','),
      ssl: { ca: [ca] },
    };
    const from = logs.lines.length;
    for (const error of [await startError(client), await lazySendError(client)]) {
      expect(error).toBeInstanceOf(TlsError);
      expect((error as TlsError).code).toMatch(/^ERR_SSL_.*ALERT/);
      expect((error as TlsError).message).toMatch(
        /^TLS handshake failed for broker 127\.0\.0\.1:\d+ .*refused the handshake .*client certificate/,
      );
    }
    expect(retryLines(from)).toEqual([]);
  });

  it('a wrong password or an unknown user: AuthenticationError at once, eager or lazy, never retried', async () => {
    const logins = {
      'wrong password': { username: 'alice', password: wrongPassword },
      'unknown user': { username: 'mallory', password: wrongPassword },
    };
    for (const [what, login] of Object.entries(logins)) {
      const client: KafkaConfig = {
        brokers: security.bootstrap.split(','),
        ssl: { ca: [ca] },
        sasl: { mechanism: 'scram-sha-512', ...login },
      };
      const from = logs.lines.length;
      const eager = await startError(client);
      expect([what, eager]).toEqual([what, expect.any(AuthenticationError)]);
      expect((eager as AuthenticationError).message).toMatch(
        /^authentication with the Kafka cluster failed: SASL SCRAM SHA512 authentication failed: .*invalid credentials/,
      );
      const lazy = await lazySendError(client);
      // Not a DeliveryTimeoutError after 60 s of retries: the first refusal is the answer.
      expect([what, lazy]).toEqual([what, expect.any(AuthenticationError)]);
      expect(logs.since(from).filter((l) => /connect attempt 1\/5/.test(l)).length).toBeGreaterThan(
        0,
      );
      expect(retryLines(from)).toEqual([]);
    }
  });

  it('F14 with wrong SASL credentials: the usual main.ts and a top-level-await one exit 1 with AuthenticationError', async () => {
    const script = await ChildScript.build('test/support/startup-app.ts');
    try {
      for (const shape of ['catch', 'top-level-await']) {
        const { child, output } = script.spawn({
          KAFKA_BROKERS: security.bootstrap,
          KAFKA_CA_FILE: security.caFile,
          KAFKA_USERNAME: 'alice',
          KAFKA_PASSWORD: wrongPassword,
          STARTUP_SHAPE: shape,
        });
        const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        await exited(child);
        clearTimeout(killer);
        expect([shape, child.exitCode, child.signalCode]).toEqual([shape, 1, null]);
        expect(output.text).toContain('AuthenticationError');
        expect(output.text).toMatch(/connect attempt 1\/5/);
        expect(output.text).not.toMatch(/connect attempt 2\/5/);
        errors.push(output.text);
      }
    } finally {
      script.remove();
    }
  });

  it('a principal with no ACL at all: the idempotent producer is refused at start with AuthorizationError, at once', async () => {
    const from = logs.lines.length;
    const error = await startError({
      brokers: security.bootstrap.split(','),
      ssl: { ca: [ca] },
      sasl: { mechanism: 'scram-sha-512', username: 'nobody', password: nobodyPassword },
    });
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).message).toMatch(/not authorized on the cluster/);
    expect(retryLines(from)).toEqual([]);
  });

  it('a topic the principal may not write: AuthorizationError at once, nothing written, other topics keep working', async () => {
    const app = await boot(alice());
    const producer = app.get(ProducerService);
    for (const topic of [readOnlyTopic, hiddenTopic]) {
      const from = logs.lines.length;
      const error = await producer.send(Payment.of('denied'), { topic }).catch((e: unknown) => e);
      errors.push(error);
      expect([topic, error]).toEqual([topic, expect.any(AuthorizationError)]);
      expect(error).toMatchObject({ topic, retriable: false });
      expect((error as Error).message).toMatch(
        new RegExp(`^the principal may not write to topic ${topic}: .*[Aa]uthorization`),
      );
      expect(retryLines(from)).toEqual([]);
    }
    const report = await producer.send(Payment.of('still-fine', 3));
    const read = await readAll(okTopic);
    expect(read.some((r) => r.offset === report.offset && r.partition === report.partition)).toBe(
      true,
    );
    for (const topic of [readOnlyTopic, hiddenTopic]) {
      expect(await topicRecordCount(security.bootstrap.split(','), topic, admin())).toBe(0);
    }
  });

  it('the outbox relay marks a row for a topic the principal may not write DEAD at once; other rows are published', async () => {
    const store = new MemoryOutboxStore();
    await store.init();
    const row = (id: string, topic: string) => ({
      id,
      topic,
      key: Buffer.from('k'),
      partition: null,
      value: Buffer.from(JSON.stringify({ id, cents: 4 })),
      headers: { 'x-event-id': Buffer.from(id) },
      timestamp: Date.now(),
    });
    const denied = '00000000-0000-7000-8000-00000000d001';
    const allowed = '00000000-0000-7000-8000-00000000d002';
    await store.add([row(denied, readOnlyTopic), row(allowed, okTopic)]);
    await boot(alice(), {
      outbox: { store, relay: { pollIntervalMs: 100, backoffMs: 100, maxAttempts: 5 } },
    });
    const deadline = Date.now() + 60_000;
    while ((await store.stats()).backlog > 0 && Date.now() < deadline) {
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const [dead, published] = await Promise.all([store.get(denied), store.get(allowed)]);
    expect(dead).toMatchObject({ status: 'DEAD', attempts: 1 });
    expect(dead!.lastError).toMatch(/^AuthorizationError: the principal may not write to topic/);
    expect(published).toMatchObject({ status: 'PUBLISHED' });
    const read = await readAll(okTopic);
    expect(read.filter((r) => r.headers['x-event-id']?.toString() === allowed)).toHaveLength(1);
    expect(await topicRecordCount(security.bootstrap.split(','), readOnlyTopic, admin())).toBe(0);
  });

  it('transactions: a transactional id the principal may use commits; one it may not: AuthorizationError naming it, at once, eager or lazy', async () => {
    const allowed = await boot(alice(), {
      transactionalIdPrefix: `${TX_ALLOWED}-${randomBytes(3).toString('hex')}`,
      transactionalProducers: 1,
    });
    const committed = await allowed
      .get(ProducerService)
      .transaction((tx) =>
        Promise.all(['tx-1', 'tx-2'].map((id) => tx.send(Payment.of(id), { topic: txTopics[0] }))),
      );
    const from = logs.lines.length;
    const deniedOptions = {
      transactionalIdPrefix: 'e2e-sec-tx-denied',
      transactionalProducers: 1,
      producer: { maxBlockMs: 60_000 },
    };
    // Eager: the start fails (it takes the transactional ids). Lazy: transaction() rejects.
    const atStart = await boot(alice(), deniedOptions).catch((e: unknown) => e);
    const lazy = await boot(alice(), { ...deniedOptions, connect: 'lazy' });
    const inTransaction = await lazy
      .get(ProducerService)
      .transaction((tx) => tx.send(Payment.of('tx-denied'), { topic: txTopics[0] }))
      .catch((e: unknown) => e);
    for (const error of [atStart, inTransaction]) {
      errors.push(error);
      expect(error).toBeInstanceOf(AuthorizationError);
      expect(error).toMatchObject({
        resource: 'transactional-id',
        resourceName: 'e2e-sec-tx-denied-0',
        topic: '',
        retriable: false,
      });
      expect((error as Error).message).toMatch(
        /^the principal may not use transactional id e2e-sec-tx-denied-0 \(.*\): .*[Aa]uthoriz/,
      );
    }
    expect(logs.since(from).filter((l) => /retrying in \d+ ms/.test(l))).toEqual([]);
    // The independent reader is read_committed: the committed pair is there, the refused one never.
    const read = await readTopic(security.bootstrap.split(','), txTopics[0], 2, {
      client: admin(),
      settleMs: 2000,
    });
    expect(read.map((r) => r.key?.toString()).sort()).toEqual(['tx-1', 'tx-2']);
    expect(read.map((r) => `${r.partition}:${r.offset}`).sort()).toEqual(
      committed.map((r) => `${r.partition}:${r.offset}`).sort(),
    );
  });

  it('transactions: offsets of a group the principal may not read: AuthorizationError naming the group (or the topic), the transaction aborted', async () => {
    const app = await boot(alice(), {
      transactionalIdPrefix: `${TX_ALLOWED}-${randomBytes(3).toString('hex')}`,
      transactionalProducers: 1,
    });
    const producer = app.get(ProducerService);
    const group = 'e2e-sec-group-denied';
    const error = await producer
      .transaction(async (tx) => {
        await tx.send(Payment.of('tx-offsets'), { topic: txTopics[1] });
        await tx.sendOffsets({
          consumerGroupId: group,
          topics: [{ topic: okTopic, partitions: [{ partition: 0, offset: '1' }] }],
        });
      })
      .catch((e: unknown) => e);
    errors.push(error);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error).toMatchObject({ resource: 'group', resourceName: group, retriable: false });
    expect((error as Error).message).toMatch(
      new RegExp(`^the principal may not commit offsets of consumer group ${group} `),
    );
    // A record for a topic the principal may not write fails the same way, naming the topic.
    const toReadOnly = await producer
      .transaction((tx) => tx.send(Payment.of('tx-ro'), { topic: readOnlyTopic }))
      .catch((e: unknown) => e);
    errors.push(toReadOnly);
    expect(toReadOnly).toBeInstanceOf(AuthorizationError);
    expect(toReadOnly).toMatchObject({ resource: 'topic', topic: readOnlyTopic, retriable: false });
    // The same producer runs the next transaction; the aborted records are never read.
    await producer.transaction((tx) => tx.send(Payment.of('tx-after'), { topic: txTopics[1] }));
    const read = await readTopic(security.bootstrap.split(','), txTopics[1], 1, {
      client: admin(),
      settleMs: 2000,
    });
    expect(read.map((r) => r.key?.toString())).toEqual(['tx-after']);
  });

  it('TLS with a CA that did not sign the broker certificate: a TlsError that says so, at once, eager or lazy', async () => {
    for (const given of ['another CA', 'no CA (the system store)']) {
      const client: KafkaConfig = {
        ...alice(),
        ssl: given === 'another CA' ? { ca: [strangerCa] } : true,
      };
      const from = logs.lines.length;
      for (const error of [await startError(client), await lazySendError(client)]) {
        expect([given, error]).toEqual([given, expect.any(TlsError)]);
        expect(error).toMatchObject({ code: 'SELF_SIGNED_CERT_IN_CHAIN', retriable: false });
        expect((error as TlsError).message).toMatch(
          /^TLS verification failed for broker 127\.0\.0\.1:\d+ \(SELF_SIGNED_CERT_IN_CHAIN\): the broker's certificate is not signed by a CA the client trusts \(ssl\.ca\)/,
        );
      }
      expect(retryLines(from)).toEqual([]);
    }
  });

  it('TLS to a host name the broker certificate is not for: a TlsError that names the host name check', async () => {
    const client: KafkaConfig = {
      ...alice(),
      ssl: { ca: [ca], servername: 'kafka.other.example' },
    };
    const from = logs.lines.length;
    for (const error of [await startError(client), await lazySendError(client)]) {
      expect(error).toBeInstanceOf(TlsError);
      expect(error).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', retriable: false });
      expect((error as TlsError).message).toMatch(
        /TLS verification failed .*not issued for the host name the client connected to.*kafka\.other\.example.*DNS:localhost, IP Address:127\.0\.0\.1/,
      );
    }
    expect(retryLines(from)).toEqual([]);
  });

  it('the options echoed in the log name the user and mechanism, never the password or the CA', async () => {
    const from = logs.lines.length;
    await boot(alice());
    const echoed = logs
      .since(from)
      .filter((l) => l.includes('producer options (secrets redacted)'));
    expect(echoed).toHaveLength(1);
    expect(echoed[0]).toContain(
      '"sasl":{"mechanism":"scram-sha-512","username":"alice","password":"[redacted]"}',
    );
    expect(echoed[0]).toContain('"ssl":{"ca":"[redacted]"}');
    expect(echoed[0]).not.toContain('BEGIN CERTIFICATE');
    // The SASL exchange was logged (kafkajs at debug level), its bytes redacted.
    expect(
      logs.lines.filter((l) => /Response SaslAuthenticate.*"authBytes":"\[redacted\]"/.test(l))
        .length,
    ).toBeGreaterThan(0);
  });
});
