import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs, { Kafka, logLevel, type AclEntry, type KafkaConfig } from 'kafkajs';
import { KeytoolPlan, randomPassword } from './tls.js';

// Node's ESM loader does not see these among kafkajs's CommonJS exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** An operation an ACL allows or denies (Kafka's names, lower case). */
export type AclOperation =
  'all' | 'read' | 'write' | 'create' | 'delete' | 'alter' | 'describe' | 'idempotent-write';

/** One ACL rule for {@link ClusterSecurityOptions.acls}. */
export interface AclRule {
  /** The user (SCRAM user name, or OAUTHBEARER `sub`); the principal is `User:<user>`. */
  readonly user: string;
  /** What the rule is about. Default `'topic'`. */
  readonly resource?: 'topic' | 'group' | 'cluster' | 'transactional-id';
  /** The resource name; `*` is every resource (ignored for `cluster`). Default `*`. */
  readonly name?: string;
  /** `prefixed`: every resource whose name starts with `name`. Default `'literal'`. */
  readonly pattern?: 'literal' | 'prefixed';
  readonly operations: readonly AclOperation[];
  /** Default `'allow'`. */
  readonly permission?: 'allow' | 'deny';
}

/**
 * Turns on security for {@link KafkaClusterOptions.security}: each node gets a SASL_SSL
 * listener for clients (TLS with a certificate signed by a CA made for the cluster,
 * SCRAM-SHA-256, SCRAM-SHA-512 and unsecured OAUTHBEARER), optionally an SSL listener that
 * requires client certificates, and Kafka's StandardAuthorizer.
 */
export interface ClusterSecurityOptions {
  /** SCRAM users (name → password), each with SCRAM-SHA-256 and -512 credentials. Default none. */
  readonly users?: Readonly<Record<string, string>>;
  /** ACLs created once the cluster is up. Default none: only the super user may do anything. */
  readonly acls?: readonly AclRule[];
  /**
   * Common names of client certificates to make (signed by the cluster's CA, in PKCS12
   * keystores); when there are any, each node also gets an SSL listener (`mutualTlsPort`)
   * that requires a client certificate, whose principal is `User:CN=<name>`. Default none
   * (no such listener).
   */
  readonly clientCertificates?: readonly string[];
}

/** How to reach and log in to a secured cluster (part of ClusterState, plain JSON). */
export interface ClusterSecurity {
  /** Bootstrap list of the SASL_SSL listeners: `127.0.0.1:p1,...`. */
  readonly bootstrap: string;
  /** PEM file of the CA that signed the brokers' certificate (for `ssl.ca`). */
  readonly caFile: string;
  /** The super user's name (`admin`); its password is in `users`. */
  readonly superUser: string;
  /** Every SCRAM user (name → password), the super user included. */
  readonly users: Readonly<Record<string, string>>;
  /** The ACLs created at start. */
  readonly acls: readonly AclRule[];
  /** Bootstrap list of the mutual TLS listeners, when `clientCertificates` were asked for. */
  readonly mutualTlsBootstrap?: string;
  /** Each client certificate's PKCS12 keystore (for `ssl.pfx`) and its password, by name. */
  readonly clientKeystores: Readonly<Record<string, { file: string; password: string }>>;
}

/** The super user the harness itself logs in as (ACLs, readiness of the secure listener). */
export const SUPER_USER = 'admin';

/** The name of the client listener in server.properties. */
export const SECURE_LISTENER = 'SASL_SSL';

/** TLS material and users of a cluster being set up. */
export interface SecuritySetup {
  readonly security: Omit<ClusterSecurity, 'bootstrap' | 'mutualTlsBootstrap'>;
  /** server.properties entries shared by every node (listener ports are per node). */
  readonly brokerConfig: Record<string, string>;
  /** `kafka-storage format` arguments that create the SCRAM users. */
  readonly formatArgs: string[];
}

/**
 * Makes the CA, the brokers' keystore (SAN `localhost`, `127.0.0.1`) and any client
 * keystores in `<dataDir>/tls` with keytool (one JVM run, see tls.ts), the users (and a
 * super user `admin` with a random password) and the server.properties entries for the
 * SASL_SSL (and mutual TLS) listener and the authorizer.
 * The PLAINTEXT listener (controller, replication, the harness's readiness checks) keeps
 * `User:ANONYMOUS` as a super user: it is the cluster's internal listener, and KRaft needs
 * the brokers' and controllers' own principal to be a super user.
 */
export async function prepareSecurity(
  dataDir: string,
  options: ClusterSecurityOptions,
): Promise<SecuritySetup> {
  const users = { [SUPER_USER]: randomPassword(), ...options.users };
  for (const [name, password] of Object.entries(users)) checkCredential(name, password);
  const dir = join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true });
  const plan = new KeytoolPlan();
  const ca = plan.certificateAuthority(dir);
  const keystore = plan.signedKeystore(dir, ca, {
    alias: 'broker',
    commonName: 'localhost',
    subjectAltNames: ['localhost', 'ip:127.0.0.1'],
  });
  const clients = options.clientCertificates ?? [];
  const clientStores = clients.map((name, i) =>
    plan.signedKeystore(dir, ca, {
      alias: `client-${i}`,
      commonName: name,
      extendedKeyUsage: 'clientAuth',
    }),
  );
  await plan.run();
  const { pemFile } = ca;
  const login = (module: string) => `${module} required;`;
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule';
  const listener = `listener.name.${SECURE_LISTENER.toLowerCase()}`;
  const brokerConfig: Record<string, string> = {
    'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
    [`${listener}.scram-sha-256.sasl.jaas.config`]: login(scram),
    [`${listener}.scram-sha-512.sasl.jaas.config`]: login(scram),
    // No server callback handler: Kafka's unsecured validator (alg "none" JWTs, sub = user).
    [`${listener}.oauthbearer.sasl.jaas.config`]: login(
      'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule',
    ),
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': keystore.file,
    'ssl.keystore.password': keystore.password,
    'ssl.key.password': keystore.password,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': `User:${SUPER_USER};User:ANONYMOUS`,
    'allow.everyone.if.no.acl.found': 'false',
    ...(clients.length > 0 && {
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': pemFile,
      'listener.name.ssl.ssl.client.auth': 'required',
    }),
  };
  const formatArgs = Object.entries(users).flatMap(([name, password]) =>
    ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => [
      '--add-scram',
      `${m}=[name=${name},password=${password}]`,
    ]),
  );
  const clientKeystores = Object.fromEntries(
    clients.map((name, i) => [
      name,
      { file: clientStores[i].file, password: clientStores[i].password },
    ]),
  );
  return {
    security: {
      caFile: pemFile,
      superUser: SUPER_USER,
      users,
      acls: options.acls ?? [],
      clientKeystores,
    },
    brokerConfig,
    formatArgs,
  };
}

/** kafka-storage's `[name=…,password=…]` syntax has no escapes. */
function checkCredential(name: string, password: string): void {
  for (const value of [name, password]) {
    if (!/^[A-Za-z0-9._@-]+$/.test(value)) {
      throw new Error(
        `SCRAM user names and passwords may only hold [A-Za-z0-9._@-] (user ${JSON.stringify(name)})`,
      );
    }
  }
}

/** Options of {@link secureClientConfig}. */
export interface SecureClientOptions {
  /** Default the super user. */
  readonly user?: string;
  /** Default: the user's password from the cluster. */
  readonly password?: string;
  /** Default `'scram-sha-512'`. */
  readonly mechanism?: 'scram-sha-256' | 'scram-sha-512';
}

/** A kafkajs client config for the SASL_SSL listener: the cluster's CA and a SCRAM login. */
export function secureClientConfig(
  security: ClusterSecurity,
  options: SecureClientOptions = {},
): KafkaConfig {
  const username = options.user ?? security.superUser;
  const password = options.password ?? security.users[username];
  if (password === undefined) throw new Error(`no user ${username} on this cluster`);
  const mechanism = options.mechanism ?? 'scram-sha-512';
  return {
    brokers: security.bootstrap.split(','),
    ssl: { ca: [readFileSync(security.caFile, 'utf8')] },
    // (kafkajs's SASL options are a union per mechanism: one literal each)
    sasl:
      mechanism === 'scram-sha-256'
        ? { mechanism, username, password }
        : { mechanism, username, password },
  };
}

/**
 * A kafkajs client config for the mutual TLS listener: the cluster's CA and the client
 * certificate `name` (its PKCS12 keystore as `ssl.pfx`, with its `passphrase`).
 */
export function mutualTlsClientConfig(security: ClusterSecurity, name: string): KafkaConfig {
  const keystore = security.clientKeystores[name];
  if (!security.mutualTlsBootstrap || !keystore) throw new Error(`no client certificate ${name}`);
  return {
    brokers: security.mutualTlsBootstrap.split(','),
    ssl: {
      ca: [readFileSync(security.caFile, 'utf8')],
      pfx: readFileSync(keystore.file),
      passphrase: keystore.password,
    },
  };
}

const OPERATIONS: Record<AclOperation, kafkajs.AclOperationTypes> = {
  all: AclOperationTypes.ALL,
  read: AclOperationTypes.READ,
  write: AclOperationTypes.WRITE,
  create: AclOperationTypes.CREATE,
  delete: AclOperationTypes.DELETE,
  alter: AclOperationTypes.ALTER,
  describe: AclOperationTypes.DESCRIBE,
  'idempotent-write': AclOperationTypes.IDEMPOTENT_WRITE,
};

const RESOURCES = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
  'transactional-id': AclResourceTypes.TRANSACTIONAL_ID,
} as const;

/** One kafkajs ACL entry per operation of each rule. */
export function aclEntries(rules: readonly AclRule[]): AclEntry[] {
  return rules.flatMap((rule) => {
    const resource = rule.resource ?? 'topic';
    return rule.operations.map((operation) => ({
      principal: `User:${rule.user}`,
      host: '*',
      operation: OPERATIONS[operation],
      permissionType:
        rule.permission === 'deny' ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
      resourceType: RESOURCES[resource],
      resourceName: resource === 'cluster' ? 'kafka-cluster' : (rule.name ?? '*'),
      resourcePatternType:
        rule.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    }));
  });
}

/**
 * Logs in over SASL_SSL as the super user (which proves the listener, the CA and SCRAM work)
 * and creates the ACLs, then waits until the broker's authorizer serves all of them (KRaft
 * applies them from the metadata log, a moment after CreateAcls returns).
 */
export async function applyAcls(security: ClusterSecurity, timeoutMs = 30_000): Promise<void> {
  const admin = new Kafka({
    ...secureClientConfig(security),
    clientId: 'kafka-harness-acls',
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  }).admin();
  await admin.connect();
  try {
    const acl = aclEntries(security.acls);
    if (acl.length === 0) return;
    await admin.createAcls({ acl });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { resources } = await admin.describeAcls({
        resourceType: AclResourceTypes.ANY,
        resourcePatternType: ResourcePatternTypes.ANY,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      const served = resources.reduce((n, r) => n + r.acls.length, 0);
      if (served >= acl.length) return;
      if (Date.now() > deadline) {
        throw new Error(`the broker serves ${served} of ${acl.length} ACLs after ${timeoutMs} ms`);
      }
      await new Promise((ok) => setTimeout(ok, 100));
    }
  } finally {
    await admin.disconnect();
  }
}
