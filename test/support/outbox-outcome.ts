import { EVENT_ID_HEADER, KafkaEvent, KeyedBy } from '../../lib/index.js';
import {
  computeReport,
  parseEvent,
  reportDetails,
  reportLine,
  type EventValue,
  type ScenarioReport,
  type SendRecord,
} from '../faults/support/checks.js';
import { readTopic, topicRecordCount, type ReadRecord } from './read-topic.js';

/**
 * The docs/reliability.md checks for the outbox fault tests (F6-F8): events go into the outbox
 * through OutboxService.enqueue, relays publish them, and the topic is then read back by an
 * independent consumer. `sent` and `acked` are the events the outbox accepted; `lost` those
 * missing from the topic; `duplicated` the extra copies; `reordered` first copies out of
 * per-key order; `hung` rows still unpublished when the test stopped waiting.
 */

/** A keyed event class for `topic`, value `{ id, key, seq }` as in the fault tests. */
export function outboxEventClass(topic: string): new () => EventValue {
  @KafkaEvent(topic)
  @KeyedBy('key')
  class OutboxTestEvent implements EventValue {
    id!: string;
    key!: string;
    seq!: number;
  }
  return OutboxTestEvent;
}

/** `rounds` rounds of one event per key (seq = round), keys `<prefix>-k<n>`. */
export function eventRounds(
  type: new () => EventValue,
  prefix: string,
  keys: number,
  rounds: number,
): EventValue[][] {
  return Array.from({ length: rounds }, (_, seq) =>
    Array.from({ length: keys }, (_, k) =>
      Object.assign(new type(), { id: `${prefix}-k${k}#${seq}`, key: `${prefix}-k${k}`, seq }),
    ),
  );
}

/** An event the outbox accepted, with the event id enqueue() returned for it. */
export interface Enqueued {
  readonly value: EventValue;
  readonly eventId: string;
  readonly at: number;
}

/** Pairs enqueued events with the ids enqueue() returned. */
export function enqueued(values: readonly EventValue[], eventIds: readonly string[]): Enqueued[] {
  if (values.length !== eventIds.length) throw new Error('one event id per event expected');
  const at = Date.now();
  return values.map((value, i) => ({ value, eventId: eventIds[i], at }));
}

/** What the topic holds for the enqueued events. */
export interface OutboxOutcome {
  readonly report: ScenarioReport;
  /** The docs/reliability.md line. */
  readonly line: string;
  /** Copies on the topic per event id, in offset order. */
  readonly copies: Map<string, ReadRecord[]>;
  /** Copies whose `x-event-id` header is not the id the outbox gave their event. */
  readonly wrongIds: number;
  /** Event ids with more than one copy. */
  readonly duplicatedIds: string[];
}

/**
 * Reads every record of `topic` (as many as its watermarks say) with an independent consumer
 * and computes the report; prints the line and its details. `unfinished`: rows still not
 * published when the test stopped waiting (reported as hung).
 */
export async function outboxOutcome(
  scenario: string,
  brokers: string[],
  topic: string,
  accepted: readonly Enqueued[],
  unfinished: number,
): Promise<OutboxOutcome> {
  const count = await topicRecordCount(brokers, topic);
  const records = count > 0 ? await readTopic(brokers, topic, count, { timeoutMs: 60_000 }) : [];
  const eventIdOf = new Map(accepted.map((e) => [e.value.id, e.eventId]));
  const copies = new Map<string, ReadRecord[]>();
  let wrongIds = 0;
  for (const record of records) {
    const value = parseEvent(record.value);
    const header = record.headers[EVENT_ID_HEADER]?.toString();
    if (!value || header === undefined || eventIdOf.get(value.id) !== header) wrongIds++;
    if (header === undefined) continue;
    const list = copies.get(header) ?? [];
    list.push(record);
    copies.set(header, list);
  }
  for (const list of copies.values())
    list.sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
  const sends: SendRecord[] = accepted.map((e) => ({
    value: e.value,
    startedAt: e.at,
    settledAt: e.at,
    status: 'acked',
  }));
  const stored = records.map((r) => ({
    partition: r.partition,
    offset: r.offset,
    value: parseEvent(r.value),
  }));
  const report = computeReport(scenario, sends, stored, Number.MAX_SAFE_INTEGER);
  report.hung = unfinished;
  const line = reportLine(report);
  console.log(`${line}\n  wrongIds=${wrongIds} ${reportDetails(report)}`);
  const duplicatedIds = [...copies].filter(([, list]) => list.length > 1).map(([id]) => id);
  return { report, line, copies, wrongIds, duplicatedIds };
}

/** Polls `check` every `stepMs` until it holds (true) or `timeoutMs` passes (false). */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  stepMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
