/**
 * Local Apache Kafka harness for the e2e and fault tests: fetches the Kafka jars with Maven,
 * runs KRaft brokers on loopback ports (optionally with TLS, SASL and ACLs: security.ts) and
 * runs Kafka's own Java tools. See cluster.ts.
 */
export { ensureKafkaJars, repoRoot, kafkaLibDir, kafkaToolsDir } from './paths.js';
export { parseBrokers, defaultBrokerConfig, randomClusterId } from './config.js';
export {
  KafkaCluster,
  type BrokerInfo,
  type ClusterState,
  type KafkaClusterOptions,
} from './cluster.js';
export { runJava, type JavaResult, type RunJavaOptions } from './java.js';
export {
  mutualTlsClientConfig,
  secureClientConfig,
  SUPER_USER,
  type AclRule,
  type ClusterSecurity,
  type ClusterSecurityOptions,
  type SecureClientOptions,
} from './security.js';
export { createCertificateAuthority, type CertificateAuthority } from './tls.js';
