import type { Logger } from '@nestjs/common';
import { ProducerIdentity } from './sequence-book.js';
import type { KafkajsCluster } from './topic-metadata.js';

/** Java's default `transaction.timeout.ms`; InitProducerId asks for one even without a transaction. */
const TRANSACTION_TIMEOUT_MS = 60_000;

interface Slot {
  readonly promise: Promise<ProducerIdentity>;
  value?: ProducerIdentity;
}

/**
 * The producer ids of idempotent profiles, one per key (a profile and codec: each has its
 * own requests in flight, so each numbers its own records), from InitProducerId on any
 * broker, as kafkajs and Java's idempotent producer do. A failed InitProducerId is not
 * kept: the next request asks again.
 */
export class ProducerIdentities {
  private readonly slots = new Map<string, Slot>();
  /** Identities taken at connect time, waiting for the first key of their profile. */
  private readonly spare = new Map<string, Promise<ProducerIdentity>>();

  constructor(
    private readonly cluster: () => Promise<KafkajsCluster>,
    private readonly logger: Logger,
  ) {}

  /** Takes an identity for `profileId` now (its first key gets it), so connect proves it works. */
  async warm(profileId: string): Promise<void> {
    let spare = this.spare.get(profileId);
    if (!spare) {
      spare = this.init();
      this.spare.set(profileId, spare);
      spare.catch(() => {
        if (this.spare.get(profileId) === spare) this.spare.delete(profileId);
      });
    }
    await spare;
  }

  /** The identity `key` numbers its records with now. */
  get(key: string, profileId: string): Promise<ProducerIdentity> {
    const slot = this.slots.get(key);
    if (slot) return slot.promise;
    const spare = this.spare.get(profileId);
    if (spare) this.spare.delete(profileId);
    return this.start(key, spare ?? this.init());
  }

  /**
   * A new identity for `key` in place of `old` (what Java's epoch bump is for); callers
   * that ask with the same `old` share one InitProducerId.
   */
  replace(key: string, old: ProducerIdentity): Promise<ProducerIdentity> {
    const slot = this.slots.get(key);
    if (slot && slot.value !== old) return slot.promise;
    this.logger.warn(
      `taking a new producer id in place of ${old.producerId} (a batch's outcome stayed unknown, or the broker refused its sequence numbers)`,
    );
    return this.start(key, this.init());
  }

  private start(key: string, promise: Promise<ProducerIdentity>): Promise<ProducerIdentity> {
    const slot: Slot = { promise };
    this.slots.set(key, slot);
    promise.then(
      (identity) => (slot.value = identity),
      () => {
        if (this.slots.get(key) === slot) this.slots.delete(key);
      },
    );
    return promise;
  }

  private async init(): Promise<ProducerIdentity> {
    const cluster = await this.cluster();
    await cluster.refreshMetadataIfNecessary();
    const broker = await cluster.findControllerBroker();
    const { producerId, producerEpoch } = await broker.initProducerId({
      transactionTimeout: TRANSACTION_TIMEOUT_MS,
    });
    return new ProducerIdentity(BigInt(producerId), producerEpoch);
  }
}
