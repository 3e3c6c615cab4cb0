import type { OutgoingRecord } from '../record/outgoing-record.js';
import { recordSize } from '../record/record-size.js';
import type { OutboxRecord, OutboxRow } from './stores/outbox-store.interface.js';

/** What the outbox stores for a record: its bytes exactly as they would be sent. */
export function toOutboxRecord(record: OutgoingRecord): OutboxRecord {
  return {
    id: record.eventId,
    topic: record.topic,
    key: record.key,
    partition: record.partition ?? null,
    value: record.value,
    headers: record.headers,
    timestamp: record.timestamp,
  };
}

/** A stored row as a record to send again, with the same event id. */
export function fromOutboxRow(row: OutboxRow): OutgoingRecord {
  return {
    topic: row.topic,
    partition: row.partition ?? undefined,
    keyValue: row.key,
    key: row.key,
    value: row.value,
    headers: row.headers,
    timestamp: row.timestamp,
    eventId: row.id,
    size: recordSize(row.key, row.value, row.headers),
  };
}
