import { KafkaProducerError } from './kafka-producer.error.js';

/** What a `SchemaRegistryError` knows about the failed call. */
export interface SchemaRegistryErrorDetails {
  /** The URL of the request. */
  readonly url: string;
  /** The subject, when the call was about one. */
  readonly subject?: string;
  /** The HTTP status, or undefined when no answer came (refused, timed out). */
  readonly status?: number;
  /** The registry's `error_code` (40401 subject not found, 409 incompatible…). */
  readonly errorCode?: number;
  /** The registry's own message. */
  readonly registryMessage?: string;
  /** Whether the same call may succeed later (5xx, 429, no answer). */
  readonly retriable: boolean;
  readonly cause?: unknown;
}

/**
 * The schema registry refused a call (an incompatible schema, an unknown subject with
 * `autoRegister: false`) or could not be reached. Nothing was sent. `retriable` is true when
 * the registry did not answer or answered 5xx / 429.
 */
export class SchemaRegistryError extends KafkaProducerError {
  readonly retriable: boolean;
  readonly url: string;
  readonly subject?: string;
  readonly status?: number;
  readonly errorCode?: number;
  readonly registryMessage?: string;

  constructor(message: string, details: SchemaRegistryErrorDetails) {
    super(message, details.cause);
    this.retriable = details.retriable;
    this.url = details.url;
    this.subject = details.subject;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.registryMessage = details.registryMessage;
  }
}
