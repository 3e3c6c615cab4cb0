import { Kafka, logLevel } from 'kafkajs';

/**
 * Asks the broker at 127.0.0.1:`port`, and only that broker, for cluster metadata and returns
 * true when the metadata lists node `id` itself. A KRaft broker only appears there once it has
 * registered with the controller quorum and been unfenced, i.e. it can take partitions.
 */
export async function brokerAnswers(port: number, id: number): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'kafka-harness-readiness',
    brokers: [`127.0.0.1:${port}`],
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    return brokers.some((b) => b.nodeId === id);
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
