/** What a TLS failure's code means, in the terms of the client's `ssl` options. */
function tlsHint(code: string): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH')
    return "the broker's certificate is not issued for the host name the client connected to (the broker address, or ssl.servername)";
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return "the broker's certificate is expired or not yet valid";
  if (code.includes('_ALERT_'))
    return 'the broker refused the handshake (a broker that requires a client certificate refuses a missing or untrusted one: ssl.cert and ssl.key, or ssl.pfx)';
  if (code.startsWith('ERR_SSL_')) return 'the handshake failed (is the port a TLS listener?)';
  return "the broker's certificate is not signed by a CA the client trusts (ssl.ca)";
}

/** Every user-facing message text of the module, in one place. */
export const Messages = {
  invalidEvent: (got: string) =>
    `send() takes an instance of a class decorated with @KafkaEvent; got ${got}`,
  notDecorated: (cls: string) =>
    `${cls} is not a Kafka event: decorate the class with @KafkaEvent('<topic>')`,
  validation: (cls: string, details: string) => `${cls} failed validation: ${details}`,
  keyMissing: (cls: string, field: string) =>
    `cannot derive the key of ${cls}: field "${field}" is null or undefined`,
  keyFunction: (cls: string, reason: string) =>
    `cannot derive the key of ${cls}: the @KeyedBy function ${reason}`,
  serialization: (serializer: string, part: string, reason: string) =>
    `the ${serializer} serializer cannot serialize the ${part}: ${reason}`,
  unknownSerializer: (name: string) =>
    `unknown serializer "${name}": use 'string', 'integer', 'json', 'buffer' or a Serializer object`,
  invalidTopic: (topic: string) =>
    `invalid topic name ${JSON.stringify(topic)}: a topic is 1-249 characters of [a-zA-Z0-9._-], not "." or ".."`,
  recordTooLarge: (size: number, limit: number) =>
    `the record is ${size} bytes, more than maxRequestSize (${limit} bytes)`,
  notConnected: (brokers: readonly string[], reason: string) =>
    `the Kafka producer is not connected (brokers tried: ${brokers.join(', ')}): ${reason}`,
  closed: 'the Kafka producer is shutting down and accepts no more records',
  deliveryTimeout: (topic: string, ms: number) =>
    `no acknowledgement for the record to ${topic} within deliveryTimeoutMs (${ms} ms)`,
  unknownTopic: (topic: string) =>
    `topic ${topic} does not exist on the cluster and auto-creation is off`,
  authentication: (reason: string) => `authentication with the Kafka cluster failed: ${reason}`,
  authorization: (topic: string, reason: string) =>
    `the principal may not write to topic ${topic}: ${reason}`,
  clusterAuthorization: (reason: string) =>
    `the principal is not authorized on the cluster (an idempotent producer needs WRITE on a topic or IDEMPOTENT_WRITE on the cluster): ${reason}`,
  transactionalIdAuthorization: (id: string, reason: string) =>
    `the principal may not use transactional id ${id} (a transactional producer needs WRITE and DESCRIBE on it): ${reason}`,
  groupAuthorization: (group: string, reason: string) =>
    `the principal may not commit offsets of consumer group ${group} in a transaction (it needs READ on the group): ${reason}`,
  tls: (broker: string | undefined, code: string, reason: string) =>
    `${code.startsWith('ERR_SSL_') ? 'TLS handshake' : 'TLS verification'} failed for broker ${broker ?? '(unknown)'} (${code}): ${tlsHint(code)}: ${reason}`,
  clientProxyNeedsMicroservices: (reason: string) =>
    `the clientProxy option needs the "@nestjs/microservices" package (npm install @nestjs/microservices@12): ${reason}`,
  sendFailed: (topic: string, reason: string, retriable: boolean) =>
    `sending to ${topic} failed (${retriable ? 'retriable' : 'fatal'}): ${reason}`,
  invalidReliability: (spec: string) =>
    `invalid reliability ${spec}: use 'fire-and-forget', 'leader', 'all' or { acks: 0 | 1 | -1, idempotent? }`,
  idempotentNeedsAcksAll: 'an idempotent producer needs acks -1 (all)',
  invalidKeyedBy:
    'a @KeyedBy spec is a field name, a non-empty array of field names, or a function',
  invalidPartition: (partition: unknown) =>
    `invalid partition ${String(partition)}: a partition is an integer >= 0`,
  noSuchPartition: (topic: string, partition: number, count: number) =>
    `partition ${partition} does not exist: topic ${topic} has ${count} partition(s)`,
  bufferExhausted: (bytes: number, memory: number, ms: number) =>
    `no room for a ${bytes}-byte record in bufferMemory (${memory} bytes) within maxBlockMs (${ms} ms)`,
  recordOverBuffer: (bytes: number, memory: number) =>
    `the record needs ${bytes} bytes, more than bufferMemory (${memory} bytes)`,
  metadataTimeout: (topic: string, ms: number) =>
    `no partition metadata for topic ${topic} within maxBlockMs (${ms} ms)`,
  abandoned: 'the producer shut down before this record was sent',
  options: (described: string) => `producer options (secrets redacted): ${described}`,
  noOutbox: 'this producer has no outbox: set the outbox option of KafkaProducerModule.forRoot',
  transactionFenced: (id: string) =>
    `transactional id ${id} was taken by a newer producer (another instance with the same transactionalIdPrefix?): this producer is fenced and its transaction is not committed`,
  transactionAborted: (id: string, cause: unknown) =>
    `the transaction of ${id} was aborted: ${cause instanceof Error ? cause.message : String(cause)}`,
  transactionNotConfigured:
    'transaction() needs the transactionalIdPrefix option (unique per app instance) in KafkaProducerModule.forRoot',
  transactionReliability: (spec: string) =>
    `a transaction sends with reliability 'all' only; got ${spec}`,
  transactionFinished: 'this transaction is finished: send inside its callback, before it returns',
  transactionNested: 'transaction() inside a transaction of the same producer: use the outer tx',
  transactionTimeout: (ms: number) =>
    `the transaction took longer than transactionTimeoutMs (${ms} ms)`,
} as const;
