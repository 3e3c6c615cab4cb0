import type { OrderingGate } from '../accumulator/ordering-gate.js';
import type { SendOptions } from '../interfaces/send-options.interface.js';
import type { EventDescriptor } from '../metadata/event-descriptor.js';
import type { SendSpan } from '../observability/send-tracer.js';
import type { PreparedRecord } from '../pipeline/event-pipeline.js';

/** One `send()` on its way through the stages: what it is, where it goes, what it holds. */
export class SendContext {
  /** Set once the pipeline built the record. */
  prepared?: PreparedRecord = undefined;
  /** Its span, when tracing is on (the record gets its trace headers once built). */
  span?: SendSpan = undefined;

  constructor(
    readonly event: object,
    readonly descriptor: EventDescriptor,
    readonly options: SendOptions,
    readonly topic: string,
    readonly gate: OrderingGate,
    /** Its turn in the topic's ordering gate (taken when it is submitted). */
    public ticket: number,
    /** Bytes of bufferMemory it holds: its estimate, then its record's real size. */
    public held: number,
  ) {}
}
