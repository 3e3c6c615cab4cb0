import type { Logger } from '@nestjs/common';
import type { ICustomPartitioner, Kafka, Producer } from 'kafkajs';
import { ProducerNotConnectedError } from '../../errors/producer-not-connected.error.js';
import type { ReliabilityProfile } from '../../interfaces/reliability.interface.js';
import { Messages } from '../../kafka-producer.messages.js';
import { withTimeout } from '../../utils/with-timeout.js';
import { backoffMs, sleep } from '../../utils/backoff.js';
import { connectFailure, isFatalConnectError } from './error-mapper.js';
import { retryOptions } from './retry-policy.js';

/** How the pool connects. */
export interface ConnectPolicy {
  readonly brokers: readonly string[];
  /** Attempts per connect (>= 1). */
  readonly attempts: number;
  /** Time bound on one attempt. */
  readonly timeoutMs: number;
  readonly maxInFlightRequests: number;
  readonly allowAutoTopicCreation: boolean;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  /**
   * kafkajs producers per idempotent profile (>= 1), see {@link ProducerPool.lanes}.
   * Default 1.
   */
  readonly idempotentLanes?: number;
}

interface Entry {
  /** The profile id, and the lane after a `#` for lanes past the first. */
  readonly key: string;
  readonly producer: Producer;
  readonly ready: Promise<Producer>;
  /** Requests using the producer now (see {@link ProducerPool.acquire}). */
  users: number;
  /** Replaced by a fresh producer: disconnected once its last user is done. */
  retired: boolean;
}

/** A connected producer lent to one request; give it back with `release`. */
export interface ProducerLease {
  readonly producer: Producer;
  /**
   * Ends the loan. `retire`: the producer's state is in doubt (an idempotent request failed
   * with an unknown outcome), so the next request gets a fresh producer with a new producer
   * id, and this one is disconnected once no request uses it.
   */
  release(retire?: boolean): void;
}

/**
 * One kafkajs producer per reliability profile (kafkajs's idempotent producer refuses
 * acks other than -1), each connected once and shared by every send of its profile.
 * A failed connect is dropped, never cached: the next send connects afresh.
 *
 * kafkajs numbers an idempotent producer's records per partition and, when a request fails,
 * takes the numbers back although the broker may have written it; reusing them for other
 * records would make the broker take those as duplicates (acked, never stored) or refuse
 * them (OUT_OF_ORDER_SEQUENCE_NUMBER). Java bumps the producer epoch then; here the
 * producer is retired and replaced (a new producer id), see {@link ProducerLease.release}.
 *
 * An idempotent profile has `idempotentLanes` producers ("lanes"), each with its own
 * producer id and connections: kafkajs's idempotent producer sends one request per broker
 * at a time (it holds a lock per broker while it numbers and sends), where Java's keeps up
 * to 5 in flight. The sender keeps each partition on one lane, so its sequence numbers stay
 * those of one producer, and lanes send to a broker side by side.
 */
export class ProducerPool {
  private readonly entries = new Map<string, Entry>();
  /** Retired producers some request still uses. */
  private readonly retired = new Set<Entry>();
  private isClosed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly createPartitioner: ICustomPartitioner,
    private readonly policy: ConnectPolicy,
    private readonly logger: Logger,
  ) {}

  /**
   * The connected producer of `profile`'s first lane, connecting every lane of the profile
   * (so the first sends do not wait for the other lanes to connect).
   */
  async get(profile: ReliabilityProfile): Promise<Producer> {
    const lanes = Array.from({ length: this.lanes(profile) }, (_, lane) =>
      this.entry(profile, lane),
    );
    const [first] = await Promise.all(lanes.map((entry) => entry.ready));
    return first;
  }

  /** Producers `profile` sends with side by side: `idempotentLanes` if idempotent, else 1. */
  lanes(profile: ReliabilityProfile): number {
    return profile.idempotent ? Math.max(1, this.policy.idempotentLanes ?? 1) : 1;
  }

  /** Set by {@link disconnectAll}: no producer is lent any more. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * The connected producer of `profile`'s `lane` (0 … {@link lanes} - 1), lent to one
   * request until `release`.
   */
  async acquire(profile: ReliabilityProfile, lane = 0): Promise<ProducerLease> {
    if (this.isClosed) {
      throw new ProducerNotConnectedError(Messages.abandoned, this.policy.brokers, {
        retriable: true,
      });
    }
    const entry = this.entry(profile, lane);
    entry.users++;
    let producer: Producer;
    try {
      producer = await entry.ready;
    } catch (error) {
      entry.users--;
      throw error;
    }
    let released = false;
    return {
      producer,
      release: (retire = false) => {
        if (released) return;
        released = true;
        entry.users--;
        if (retire) this.retire(entry);
        if (entry.retired && entry.users === 0) this.dispose(entry);
      },
    };
  }

  /** Producers in use: the current one of each profile's lanes, and retired ones still lent. */
  get producerCount(): number {
    return this.entries.size + this.retired.size;
  }

  private entry(profile: ReliabilityProfile, lane = 0): Entry {
    const key = lane === 0 ? profile.id : `${profile.id}#${lane}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const producer = this.kafka.producer({
        idempotent: profile.idempotent,
        retry: retryOptions(profile, this.policy),
        maxInFlightRequests: this.policy.maxInFlightRequests,
        allowAutoTopicCreation: this.policy.allowAutoTopicCreation,
        createPartitioner: this.createPartitioner,
      });
      const ready = this.connect(producer, profile, lane).catch((error: unknown) => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
        throw error;
      });
      entry = { key, producer, ready, users: 0, retired: false };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private retire(entry: Entry): void {
    if (entry.retired) return;
    entry.retired = true;
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    this.retired.add(entry);
    this.logger.warn(
      `replacing the ${entry.key} producer after a failed request (new producer id)`,
    );
  }

  private dispose(entry: Entry): void {
    this.retired.delete(entry);
    void entry.ready
      .then((producer) => producer.disconnect())
      .catch((error: unknown) => this.logger.error(`error while disconnecting: ${String(error)}`));
  }

  /** Disconnects every producer; errors are logged, not thrown. */
  async disconnectAll(): Promise<void> {
    this.isClosed = true;
    const entries = [...this.entries.values(), ...this.retired];
    this.entries.clear();
    this.retired.clear();
    await Promise.all(
      entries.map(async ({ producer, ready }) => {
        await ready.catch(() => undefined);
        await producer.disconnect().catch((error: unknown) => {
          this.logger.error(`error while disconnecting: ${String(error)}`);
        });
      }),
    );
  }

  private async connect(
    producer: Producer,
    profile: ReliabilityProfile,
    lane: number,
  ): Promise<Producer> {
    const { attempts, timeoutMs, brokers } = this.policy;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await withTimeout(
          producer.connect(),
          timeoutMs,
          () => new Error(`connect timed out after ${timeoutMs} ms`),
        );
        if (lane === 0) this.logger.log(`connected (${profile.id}) to ${brokers.join(', ')}`);
        else this.logger.debug(`connected (${profile.id}, lane ${lane}) to ${brokers.join(', ')}`);
        return producer;
      } catch (error) {
        lastError = error;
        await producer.disconnect().catch(() => undefined);
        this.logger.warn(
          `connect attempt ${attempt}/${attempts} (${profile.id}) failed: ${String(error)}`,
        );
        // Credentials, TLS, ACLs: another attempt meets the same answer.
        if (isFatalConnectError(error)) break;
        if (attempt < attempts) await sleep(backoffMs(attempt, 200, 5000, 0));
      }
    }
    throw connectFailure(lastError, brokers);
  }
}
