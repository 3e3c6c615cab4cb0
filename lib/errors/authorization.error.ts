import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/** What an {@link AuthorizationError} says the principal was refused. */
export type AuthorizationResource = 'topic' | 'cluster' | 'transactional-id' | 'group';

/**
 * The principal may not do what the producer asked (ACLs): write to `topic`; with `topic`
 * empty, use the cluster as it asked (an idempotent producer whose principal may write no
 * topic), use a transactional id, or commit a consumer group's offsets in a transaction.
 * `resource` and `resourceName` say which. Fatal.
 */
export class AuthorizationError extends KafkaProducerError {
  readonly retriable = false;
  /** What was refused. */
  readonly resource: AuthorizationResource;
  /** The topic, transactional id or group refused; empty for the cluster. */
  readonly resourceName: string;

  /**
   * @param topic the topic refused, or empty when `refused` names something else (or the cluster)
   * @param refused a transactional id or group that was refused (default: the topic, or the cluster)
   */
  constructor(
    readonly topic: string,
    reason: string,
    cause?: unknown,
    refused?: { readonly resource: 'transactional-id' | 'group'; readonly name: string },
  ) {
    super(AuthorizationError.describe(topic, reason, refused), cause);
    this.resource = refused?.resource ?? (topic ? 'topic' : 'cluster');
    this.resourceName = refused?.name ?? topic;
  }

  private static describe(
    topic: string,
    reason: string,
    refused?: { readonly resource: 'transactional-id' | 'group'; readonly name: string },
  ): string {
    if (refused?.resource === 'transactional-id') {
      return Messages.transactionalIdAuthorization(refused.name, reason);
    }
    if (refused?.resource === 'group') return Messages.groupAuthorization(refused.name, reason);
    return topic ? Messages.authorization(topic, reason) : Messages.clusterAuthorization(reason);
  }
}
