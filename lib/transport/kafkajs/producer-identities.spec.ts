import { Logger } from '@nestjs/common';
import { ProducerIdentities } from './producer-identities.js';
import type { KafkajsBroker, KafkajsCluster, PartitionMetadata } from './topic-metadata.js';

/**
 * A kafkajs Cluster stand-in whose controller hands out producer ids 1000, 1001, … (as the
 * decimal strings kafkajs's InitProducerId decoder gives), failing the calls in `failures`.
 */
class FakeCluster implements KafkajsCluster {
  /** InitProducerId calls so far. */
  inits = 0;
  /** Calls (1-based) that fail. */
  failures = new Set<number>();
  /** Resolves the InitProducerId calls held back while `hold` is set. */
  private held: Array<() => void> = [];
  hold = false;
  readonly timeouts: number[] = [];

  private readonly controller: KafkajsBroker = {
    produce: () => Promise.reject(new Error('not a produce test')),
    initProducerId: async ({ transactionTimeout }) => {
      const call = ++this.inits;
      this.timeouts.push(transactionTimeout);
      if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
      if (this.failures.has(call)) {
        throw Object.assign(new Error('The coordinator is not available'), {
          name: 'KafkaJSProtocolError',
          type: 'COORDINATOR_NOT_AVAILABLE',
          retriable: true,
        });
      }
      return { producerId: String(999 + call), producerEpoch: call % 3 };
    },
  };

  release(): void {
    this.hold = false;
    for (const resolve of this.held.splice(0)) resolve();
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    return Promise.resolve();
  }
  addMultipleTargetTopics(): Promise<void> {
    return Promise.resolve();
  }
  refreshMetadata(): Promise<void> {
    return Promise.resolve();
  }
  refreshMetadataIfNecessary(): Promise<void> {
    return Promise.resolve();
  }
  findTopicPartitionMetadata(): PartitionMetadata[] {
    return [];
  }
  findBroker(): Promise<KafkajsBroker> {
    return Promise.reject(new Error('not a produce test'));
  }
  findControllerBroker(): Promise<KafkajsBroker> {
    return Promise.resolve(this.controller);
  }
}

function setup() {
  const cluster = new FakeCluster();
  const logger = new Logger('test');
  logger.warn = () => undefined;
  const identities = new ProducerIdentities(() => Promise.resolve(cluster), logger);
  return { cluster, identities };
}

describe('ProducerIdentities', () => {
  it("gives a profile's first key the identity warm() took, with one InitProducerId", async () => {
    const { cluster, identities } = setup();
    await identities.warm('all');
    await identities.warm('all');
    expect(cluster.inits).toBe(1);
    const identity = await identities.get('all|none', 'all');
    expect([identity.producerId, identity.epoch]).toEqual([1000n, 1]);
    expect(await identities.get('all|none', 'all')).toBe(identity);
    expect(cluster.inits).toBe(1);
    // Asked without a transaction, with Java's default transaction timeout.
    expect(cluster.timeouts).toEqual([60_000]);
  });

  it('shares one InitProducerId among callers that warm or get at once', async () => {
    const { cluster, identities } = setup();
    cluster.hold = true;
    const warming = Promise.all([identities.warm('all'), identities.warm('all')]);
    const got = Promise.all([identities.get('all|none', 'all'), identities.get('all|none', 'all')]);
    await new Promise(setImmediate); // every InitProducerId asked for is now held
    expect(cluster.inits).toBe(1);
    cluster.release();
    await warming;
    const [a, b] = await got;
    expect(a).toBe(b);
    expect(a.producerId).toBe(1000n);
    expect(cluster.inits).toBe(1);
    expect(await identities.get('all|none', 'all')).toBe(a);
  });

  it('gives different keys different producer ids', async () => {
    const { cluster, identities } = setup();
    await identities.warm('all');
    const none = await identities.get('all|none', 'all');
    const gzip = await identities.get('all|gzip', 'all');
    const other = await identities.get('strict|none', 'strict');
    expect(new Set([none.producerId, gzip.producerId, other.producerId]).size).toBe(3);
    expect(none.producerId).toBe(1000n);
    expect(cluster.inits).toBe(3);
    expect(await identities.get('all|gzip', 'all')).toBe(gzip);
  });

  it('replaces an identity once for every caller that asks with the same old one', async () => {
    const { cluster, identities } = setup();
    const old = await identities.get('all|none', 'all');
    const [x, y] = await Promise.all([
      identities.replace('all|none', old),
      identities.replace('all|none', old),
    ]);
    expect(x).toBe(y);
    expect(x).not.toBe(old);
    expect(x.producerId).toBe(1001n);
    expect(cluster.inits).toBe(2);
    // Asked again with the replaced one: the current one, no new InitProducerId.
    expect(await identities.replace('all|none', old)).toBe(x);
    expect(await identities.get('all|none', 'all')).toBe(x);
    expect(cluster.inits).toBe(2);
    // Replacing the current one takes a new one again.
    const z = await identities.replace('all|none', x);
    expect(z.producerId).toBe(1002n);
    expect(await identities.get('all|none', 'all')).toBe(z);
  });

  it('hands a caller that replaces while a replacement is under way that replacement', async () => {
    const { cluster, identities } = setup();
    const old = await identities.get('all|none', 'all');
    cluster.hold = true;
    const first = identities.replace('all|none', old);
    const meanwhile = identities.get('all|none', 'all');
    const second = identities.replace('all|none', old);
    await new Promise(setImmediate); // every InitProducerId asked for is now held
    expect(cluster.inits).toBe(2);
    cluster.release();
    const [a, b, c] = await Promise.all([first, meanwhile, second]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(a.producerId).toBe(1001n);
    expect(cluster.inits).toBe(2);
  });

  it('does not keep a failed InitProducerId: the next caller asks again', async () => {
    const { cluster, identities } = setup();
    cluster.failures = new Set([1, 2, 4]);
    await expect(identities.warm('all')).rejects.toThrow('The coordinator is not available');
    // The failed warm-up is not handed to the profile's first key.
    await expect(identities.get('all|none', 'all')).rejects.toThrow(
      'The coordinator is not available',
    );
    const identity = await identities.get('all|none', 'all');
    expect(identity.producerId).toBe(1002n);
    expect(cluster.inits).toBe(3);
    // A failed replacement is not kept either: the key asks again.
    await expect(identities.replace('all|none', identity)).rejects.toThrow(
      'The coordinator is not available',
    );
    const next = await identities.get('all|none', 'all');
    expect(next.producerId).toBe(1004n);
    expect(cluster.inits).toBe(5);
  });

  it('takes producer ids beyond 2^53 exactly', async () => {
    const { cluster, identities } = setup();
    const controller: KafkajsBroker = {
      produce: () => Promise.reject(new Error('not a produce test')),
      initProducerId: () =>
        Promise.resolve({ producerId: '9007199254740993', producerEpoch: 32_767 }),
    };
    cluster.findControllerBroker = () => Promise.resolve(controller);
    const identity = await identities.get('all|none', 'all');
    expect([identity.producerId, identity.epoch]).toEqual([9_007_199_254_740_993n, 32_767]);
  });
});
