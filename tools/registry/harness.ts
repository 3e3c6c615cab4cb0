/**
 * Local Apicurio Registry harness for the e2e tests and the sample: fetches the app with
 * Maven, runs it with a Java 21+ on a loopback port, and reads records back with a Java
 * program built on Apache Avro and protobuf-java. See server.ts and wire-reader.ts.
 */
export { APICURIO_VERSION, ensureRegistryFiles, registryDir, type RegistryFiles } from './paths.js';
export { findRegistryJava, javaCandidates, parseJavaMajor, type JavaInstall } from './java21.js';
export {
  CCOMPAT_PATH,
  SchemaRegistryServer,
  answers,
  type RegistryState,
  type SchemaRegistryServerOptions,
} from './server.js';
