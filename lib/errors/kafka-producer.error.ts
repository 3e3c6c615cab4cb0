/**
 * Base class of every error the module throws. `retriable` says whether sending the
 * same record again may succeed (a broker hiccup) or not (bad input, a fatal broker
 * answer).
 */
export abstract class KafkaProducerError extends Error {
  /** Whether sending the same record again may succeed. */
  abstract readonly retriable: boolean;

  protected constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
  }
}
