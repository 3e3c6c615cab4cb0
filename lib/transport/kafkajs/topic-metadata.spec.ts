import type { Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { AuthenticationError } from '../../errors/authentication.error.js';
import { ProducerNotConnectedError } from '../../errors/producer-not-connected.error.js';
import { TlsError } from '../../errors/tls.error.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import { UnknownTopicError } from '../../errors/unknown-topic.error.js';
import {
  TopicMetadataCache,
  type KafkajsBroker,
  type KafkajsCluster,
  type PartitionMetadata,
} from './topic-metadata.js';

const logger = { log: () => undefined, warn: () => undefined } as unknown as Logger;

/** A kafkajs Cluster stand-in: partition counts per topic, and how its calls fail. */
class FakeCluster implements KafkajsCluster {
  counts = new Map<string, number>();
  connects = 0;
  lookups = 0;
  refuseConnect = false;
  /** Fails connect with this error (e.g. a refused login) instead. */
  connectError?: Error;
  failLookup?: Error;
  connect(): Promise<void> {
    this.connects++;
    if (this.connectError) return Promise.reject(this.connectError);
    return this.refuseConnect ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve();
  }
  disconnect(): Promise<void> {
    return Promise.resolve();
  }
  addMultipleTargetTopics(): Promise<void> {
    this.lookups++;
    return this.failLookup ? Promise.reject(this.failLookup) : Promise.resolve();
  }
  refreshMetadata(): Promise<void> {
    return Promise.resolve();
  }
  refreshMetadataIfNecessary(): Promise<void> {
    return Promise.resolve();
  }
  findTopicPartitionMetadata(topic: string): PartitionMetadata[] {
    return Array.from({ length: this.counts.get(topic) ?? 0 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
    }));
  }
  findBroker(): Promise<KafkajsBroker> {
    return Promise.reject(new Error('no brokers in a metadata test'));
  }
  findControllerBroker(): Promise<KafkajsBroker> {
    return Promise.reject(new Error('no brokers in a metadata test'));
  }
}

function cache(
  cluster: FakeCluster,
  settings: Partial<{ maxBlockMs: number; maxAgeMs: number; allowAutoTopicCreation: boolean }> = {},
) {
  return new TopicMetadataCache(
    {} as Kafka,
    logger,
    {
      brokers: ['b:1'],
      allowAutoTopicCreation: true,
      maxBlockMs: 500,
      maxAgeMs: 60_000,
      ...settings,
    },
    () => cluster,
  );
}

const kafkajsError = (type: string) =>
  Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable: true });

describe('TopicMetadataCache', () => {
  it('answers a known topic synchronously, fetching it once', async () => {
    const cluster = new FakeCluster();
    cluster.counts.set('t', 6);
    const metadata = cache(cluster);
    const first = metadata.partitions('t');
    expect(first).toBeInstanceOf(Promise);
    await expect(first).resolves.toBe(6);
    expect(metadata.partitions('t')).toBe(6);
    expect(cluster.lookups).toBe(1);
  });

  it('a topic that grew is seen through update()', async () => {
    const cluster = new FakeCluster();
    cluster.counts.set('t', 3);
    const metadata = cache(cluster);
    await metadata.partitions('t');
    metadata.update('t', 8);
    expect(metadata.partitions('t')).toBe(8);
    // A count of 0 (metadata without the topic) never replaces a known one.
    metadata.update('t', 0);
    expect(metadata.partitions('t')).toBe(8);
  });

  it('a topic that grew is seen after a metadata refresh, through refreshed(cluster)', async () => {
    const cluster = new FakeCluster();
    cluster.counts.set('t', 3);
    cluster.counts.set('u', 1);
    const metadata = cache(cluster);
    await metadata.partitions('t');
    await metadata.partitions('u');
    cluster.counts.set('t', 12);
    cluster.counts.delete('u'); // missing from this refresh: its count stays
    cluster.counts.set('never-asked', 4);
    metadata.refreshed(cluster);
    expect(metadata.partitions('t')).toBe(12);
    expect(metadata.partitions('u')).toBe(1);
    expect(cluster.lookups).toBe(2);
    // Only topics it was asked for are kept: another one is looked up when asked.
    const asked = metadata.partitions('never-asked');
    expect(asked).toBeInstanceOf(Promise);
    await expect(asked).resolves.toBe(4);
    expect(cluster.lookups).toBe(3);
  });

  it('waits for a topic being auto-created up to maxBlockMs, then fails retriably', async () => {
    const cluster = new FakeCluster();
    cluster.failLookup = kafkajsError('UNKNOWN_TOPIC_OR_PARTITION');
    const started = Date.now();
    const error = await Promise.resolve(cache(cluster, { maxBlockMs: 300 }).partitions('t')).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(error).toBeInstanceOf(UnknownTopicError);
    expect(cluster.lookups).toBeGreaterThan(1);
  });

  it('with auto-creation off an unknown topic fails at once', async () => {
    const cluster = new FakeCluster();
    cluster.failLookup = kafkajsError('UNKNOWN_TOPIC_OR_PARTITION');
    const metadata = cache(cluster, { allowAutoTopicCreation: false });
    await expect(Promise.resolve(metadata.partitions('t'))).rejects.toBeInstanceOf(
      UnknownTopicError,
    );
    expect(cluster.lookups).toBe(1);
  });

  it('a topic with no partitions yet is asked again until maxBlockMs', async () => {
    const cluster = new FakeCluster();
    const metadata = cache(cluster, { maxBlockMs: 200 });
    setTimeout(() => cluster.counts.set('late', 2), 60);
    await expect(metadata.partitions('late')).resolves.toBe(2);
    const never = await Promise.resolve(
      cache(new FakeCluster(), { maxBlockMs: 100 }).partitions('x'),
    ).catch((e: unknown) => e);
    expect(never).toBeInstanceOf(SendFailedError);
    expect((never as SendFailedError).retriable).toBe(true);
  });

  it('a failed connect is ProducerNotConnectedError and is not cached', async () => {
    const cluster = new FakeCluster();
    cluster.counts.set('t', 1);
    cluster.refuseConnect = true;
    const metadata = cache(cluster);
    await expect(Promise.resolve(metadata.partitions('t'))).rejects.toBeInstanceOf(
      ProducerNotConnectedError,
    );
    cluster.refuseConnect = false;
    await expect(metadata.partitions('t')).resolves.toBe(1);
    expect(cluster.connects).toBe(2);
  });

  it('a refused login or a certificate that does not verify fails with its own fatal error, not ProducerNotConnectedError', async () => {
    const cluster = new FakeCluster();
    cluster.counts.set('t', 1);
    cluster.connectError = Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), {
      name: 'KafkaJSSASLAuthenticationError',
      retriable: false,
    });
    const login = await Promise.resolve(cache(cluster).partitions('t')).catch((e: unknown) => e);
    expect(login).toBeInstanceOf(AuthenticationError);
    expect((login as AuthenticationError).retriable).toBe(false);
    cluster.connectError = Object.assign(new Error('Connection error: unable to verify'), {
      name: 'KafkaJSConnectionError',
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      broker: 'b:1',
      retriable: true,
    });
    const tls = await Promise.resolve(cache(cluster).partitions('t')).catch((e: unknown) => e);
    expect(tls).toBeInstanceOf(TlsError);
    expect((tls as Error).message).toMatch(/^TLS verification failed for broker b:1/);
  });
});
