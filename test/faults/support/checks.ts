import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

/**
 * The common checks of docs/reliability.md: every test event carries a unique id and a per-key
 * sequence number; after the fault the topic is read from the beginning with an independent
 * consumer, and lost / duplicated / reordered / hung are computed from what the producer was
 * told and what the broker holds.
 */

/** The value of every fault-test event (JSON). */
export interface EventValue {
  readonly id: string;
  readonly key: string;
  readonly seq: number;
}

/** What became of one `send()`. `settledAt` is unset while it has not settled. */
export interface SendRecord {
  readonly value: EventValue;
  readonly startedAt: number;
  settledAt?: number;
  status: 'pending' | 'acked' | 'rejected';
  /** With acks >= 1, where the producer said the record is. */
  report?: { partition: number; offset: string };
  error?: unknown;
}

/** One record as the independent consumer read it. */
export interface StoredRecord {
  readonly partition: number;
  readonly offset: string;
  /** Undefined when the value is not a fault-test event. */
  readonly value?: EventValue;
}

/** One scenario's outcome; the first seven fields are the line docs/reliability.md describes. */
export interface ScenarioReport {
  scenario: string;
  sent: number;
  acked: number;
  /** Acked events missing from the topic. */
  lost: number;
  /** Extra copies: sum over ids of (copies - 1). */
  duplicated: number;
  /** Within a key, first copies whose seq is not above every earlier one (by offset). */
  reordered: number;
  /** Sends not settled within `hangBoundMs` (still pending, or settled later than that). */
  hung: number;
  rejected: number;
  /** Distinct sent ids found on the topic (acked or not). */
  found: number;
  /** Rejected sends whose record is on the topic anyway (allowed: the error says "may"). */
  rejectedButStored: number;
  /**
   * Acked records with no copy at the partition/offset their report names, or (acks >= 1) with
   * offset `-1`, i.e. resolved without the broker naming where the record is.
   */
  misreported: number;
  /** Keys whose records are spread over more than one partition. */
  splitKeys: number;
  /** Records on the topic that are not events of this run. */
  foreign: number;
  /** Rejections by error class name. */
  errors: Record<string, number>;
  /** Slowest settle, ms from send() to its answer. */
  maxSettleMs: number;
  hangBoundMs: number;
  /** A few lost / misreported sends, as `kind id key#seq -> partition@offset`, for diagnosis. */
  samples: string[];
}

/** Name of an error's class, for the rejection tally. */
export function errorName(error: unknown): string {
  if (error instanceof Error) return error.constructor.name || error.name;
  return typeof error;
}

/** Parses a stored value; undefined for anything that is not an {@link EventValue}. */
export function parseEvent(value: Buffer | null): EventValue | undefined {
  if (value === null) return undefined;
  try {
    const v = JSON.parse(value.toString('utf8')) as Partial<EventValue>;
    if (typeof v.id === 'string' && typeof v.key === 'string' && typeof v.seq === 'number') {
      return { id: v.id, key: v.key, seq: v.seq };
    }
  } catch {
    // not ours
  }
  return undefined;
}

/**
 * Computes the report. `now` is when the check runs: a send still pending then counts as hung
 * if it started more than `hangBoundMs` before (callers wait for that bound first). Unless
 * `acksZero` (where the broker names no offset), an acked report with offset `-1` is misreported.
 */
export function computeReport(
  scenario: string,
  sent: readonly SendRecord[],
  stored: readonly StoredRecord[],
  hangBoundMs: number,
  now = Date.now(),
  { acksZero = false } = {},
): ScenarioReport {
  const copies = new Map<string, StoredRecord[]>();
  let foreign = 0;
  const sentIds = new Set(sent.map((s) => s.value.id));
  for (const r of stored) {
    if (!r.value || !sentIds.has(r.value.id)) {
      foreign++;
      continue;
    }
    const list = copies.get(r.value.id);
    if (list) list.push(r);
    else copies.set(r.value.id, [r]);
  }

  let acked = 0;
  let rejected = 0;
  let lost = 0;
  let hung = 0;
  let rejectedButStored = 0;
  let misreported = 0;
  let maxSettleMs = 0;
  const errors: Record<string, number> = {};
  const samples: string[] = [];
  const sample = (kind: string, s: SendRecord, where?: readonly StoredRecord[]) => {
    if (samples.filter((x) => x.startsWith(kind)).length >= 3) return;
    const told = s.report ? `${s.report.partition}@${s.report.offset}` : 'no report';
    const found = where
      ? ` (stored at ${where.map((r) => `${r.partition}@${r.offset}`).join(',')})`
      : '';
    samples.push(`${kind} ${s.value.id} ${s.value.key}#${s.value.seq} -> ${told}${found}`);
  };
  for (const s of sent) {
    const onTopic = copies.get(s.value.id);
    if (s.settledAt === undefined) {
      if (now - s.startedAt > hangBoundMs) hung++;
      continue;
    }
    const took = s.settledAt - s.startedAt;
    maxSettleMs = Math.max(maxSettleMs, took);
    if (took > hangBoundMs) hung++;
    if (s.status === 'acked') {
      acked++;
      if (!onTopic) {
        lost++;
        sample('lost', s);
      }
      if (s.report && s.report.offset === '-1') {
        if (!acksZero) {
          misreported++;
          sample('misreported', s, onTopic);
        }
      } else if (s.report) {
        const { partition, offset } = s.report;
        if (!onTopic?.some((r) => r.partition === partition && r.offset === offset)) {
          misreported++;
          sample('misreported', s, onTopic);
        }
      }
    } else {
      rejected++;
      const name = errorName(s.error);
      errors[name] = (errors[name] ?? 0) + 1;
      if (onTopic) rejectedButStored++;
    }
  }

  let duplicated = 0;
  for (const list of copies.values()) duplicated += list.length - 1;

  // Order: first copies only (a retried duplicate is counted as such, not again as a reorder).
  const byKey = new Map<string, StoredRecord[]>();
  for (const list of copies.values()) {
    const first = list.reduce((a, b) =>
      a.partition < b.partition ||
      (a.partition === b.partition && BigInt(a.offset) <= BigInt(b.offset))
        ? a
        : b,
    );
    const key = first.value!.key;
    const group = byKey.get(key);
    if (group) group.push(first);
    else byKey.set(key, [first]);
  }
  let reordered = 0;
  let splitKeys = 0;
  for (const group of byKey.values()) {
    if (new Set(group.map((r) => r.partition)).size > 1) splitKeys++;
    group.sort((a, b) =>
      a.partition !== b.partition
        ? a.partition - b.partition
        : BigInt(a.offset) < BigInt(b.offset)
          ? -1
          : 1,
    );
    let max = -Infinity;
    for (const r of group) {
      if (r.value!.seq <= max) reordered++;
      else max = r.value!.seq;
    }
  }

  return {
    scenario,
    sent: sent.length,
    acked,
    lost,
    duplicated,
    reordered,
    hung,
    rejected,
    found: copies.size,
    rejectedButStored,
    misreported,
    splitKeys,
    foreign,
    errors,
    maxSettleMs,
    hangBoundMs,
    samples,
  };
}

/** The docs/reliability.md line: `scenario sent acked lost duplicated reordered hung`. */
export function reportLine(r: ScenarioReport): string {
  return [r.scenario, r.sent, r.acked, r.lost, r.duplicated, r.reordered, r.hung].join(' ');
}

/** The rest of the report, for diagnosis. */
export function reportDetails(r: ScenarioReport): string {
  const errors = Object.entries(r.errors)
    .map(([name, n]) => `${name}=${n}`)
    .join(',');
  return (
    `rejected=${r.rejected}${errors ? ` (${errors})` : ''} found=${r.found} ` +
    `rejectedButStored=${r.rejectedButStored} misreported=${r.misreported} ` +
    `splitKeys=${r.splitKeys} foreign=${r.foreign} maxSettleMs=${r.maxSettleMs} ` +
    `hangBoundMs=${r.hangBoundMs}` +
    (r.samples.length > 0 ? `\n  e.g. ${r.samples.join('\n  e.g. ')}` : '')
  );
}

/**
 * Reads every record of `topic` from the beginning up to the high watermarks taken when the
 * call starts, with a fresh kafkajs consumer group (nothing shared with the producer under
 * test). Call it once the producer is closed and the cluster is healthy.
 */
export async function readAll(
  brokers: string[],
  topic: string,
  { timeoutMs = 90_000 } = {},
): Promise<StoredRecord[]> {
  const kafka = new Kafka({ clientId: 'fault-checker', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let lows: Map<number, bigint>;
  try {
    const offsets = (await admin.fetchTopicOffsets(topic)).filter(
      (o) => BigInt(o.high) > BigInt(o.low),
    );
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    lows = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
  } finally {
    await admin.disconnect();
  }
  const records: StoredRecord[] = [];
  if (ends.size === 0) return records;
  const consumer = kafka.consumer({
    groupId: `fault-checker-${randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const remaining = new Set(ends.keys());
    const seen = new Set<string>();
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition);
        for (const m of batch.messages) {
          if (end === undefined || BigInt(m.offset) >= end) continue;
          const slot = `${batch.partition}:${m.offset}`;
          if (seen.has(slot)) continue; // a re-fetch after a consumer hiccup
          seen.add(slot);
          records.push({
            partition: batch.partition,
            offset: m.offset,
            value: parseEvent(m.value),
          });
          if (BigInt(m.offset) === end - 1n) remaining.delete(batch.partition);
        }
        if (remaining.size === 0) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `readAll(${topic}): partitions ${[...remaining].join(',')} not read to their ` +
                `end within ${timeoutMs} ms (${records.length} records read)`,
            ),
          ),
        timeoutMs,
      );
    });
    await Promise.race([finished, timeout]).finally(() => clearTimeout(timer));
    // No transactions here, so every offset below the high watermark is a record.
    let expected = 0n;
    for (const [partition, end] of ends) expected += end - lows.get(partition)!;
    if (BigInt(records.length) !== expected) {
      throw new Error(
        `readAll(${topic}): read ${records.length} records, watermarks say ${expected}`,
      );
    }
    return records;
  } finally {
    await consumer.disconnect();
  }
}
