import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type { SendOptions } from '../interfaces/send-options.interface.js';

/** What a transaction uses of its pooled producer's engine (a ProducerEngine). */
export interface TransactionEngine {
  start(): Promise<void>;
  close(): Promise<void>;
  send(event: object, options?: SendOptions): Promise<DeliveryReport>;
  sendMany(events: readonly object[], options?: SendOptions): Promise<DeliveryReport[]>;
  flush(): Promise<void>;
  profileOf(event: object, options?: SendOptions): ReliabilityProfile;
}
