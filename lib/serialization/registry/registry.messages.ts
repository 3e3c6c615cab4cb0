/** The user-facing texts of the schema registry serializers and client. */
export const RegistryMessages = {
  missingPeer: (serializer: string, pkg: string, range: string) =>
    `the ${serializer} serializer needs the optional package "${pkg}" (${range}), which is not installed: run \`npm install ${pkg}@${range}\``,
  brokenPeer: (serializer: string, pkg: string, range: string, reason: string) =>
    `the ${serializer} serializer could not load "${pkg}": ${reason}. Supported: ${pkg}@${range}`,
  noRegistry: (serializer: string) =>
    `the ${serializer} serializer needs a schema registry: set schemaRegistry in KafkaProducerModule.forRoot, or pass { registry } to ${serializer}()`,
  noSchema: (serializer: string) =>
    `the ${serializer} serializer needs a schema, or { useLatestVersion: true } to use the subject's latest one`,
  badSchema: (serializer: string, reason: string) =>
    `the ${serializer} serializer cannot use its schema: ${reason}`,
  headerPart: (serializer: string, part: string) =>
    `the ${serializer} serializer writes keys and values only, not the ${part}`,
  notPrepared: (topic: string) =>
    `no schema id for topic ${topic} yet: the producer prepares it before the first send (call prepare() first when you use the serializer directly)`,
  badSubject: (got: string) => `a subject name strategy must return a non-empty string; got ${got}`,
  unknownStrategy: (got: string) =>
    `unknown subject name strategy "${got}": use 'TopicName', 'RecordName', 'TopicRecordName' or a function`,
  noRecordName: (strategy: string) =>
    `the ${strategy} strategy needs the schema's full name, and this schema has none (an Avro named type, a Protobuf message, a JSON Schema title)`,
  wrongType: (serializer: string, subject: string, got: string, want: string) =>
    `the latest schema of subject ${subject} is ${got}, not ${want}: the ${serializer} serializer cannot write it`,
  noMessageType: (name: string, known: readonly string[]) =>
    `protobuf message type "${name}" is not in the schema; it has ${known.length ? known.join(', ') : 'no message types'}`,
  mapSibling: (name: string) =>
    `protobuf message type ${name} is nested in a message with map fields, whose index in the file is not known without protoc: declare it at the top level or in a message without maps`,
  answered: (method: string, url: string, status: number, message: string) =>
    `the schema registry answered ${status} to ${method} ${url}: ${message}`,
  unreachable: (method: string, url: string, reason: string, attempts: number) =>
    `the schema registry did not answer ${method} ${url} (${attempts} attempt${attempts === 1 ? '' : 's'}): ${reason}`,
  unknownSubject: (subject: string) =>
    `subject ${subject} is not in the schema registry and autoRegister is false: register its schema first`,
  unknownSchema: (subject: string) =>
    `the schema is not registered under subject ${subject} and autoRegister is false: register it first`,
  badAnswer: (method: string, url: string, body: string) =>
    `the schema registry gave an answer that is not what the API defines to ${method} ${url}: ${body.slice(0, 200)}`,
} as const;
