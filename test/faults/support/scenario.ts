import 'reflect-metadata';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import { Kafka, logLevel } from 'kafkajs';
import {
  KafkaEvent,
  KafkaProducerModule,
  KeyedBy,
  ProducerService,
  type ProducerSettings,
  type ReliabilitySpec,
} from '../../../lib/index.js';
import { KafkaCluster } from '../../../tools/kafka/harness.js';
import { repoRoot } from '../../../tools/kafka/paths.js';
import {
  computeReport,
  errorName,
  readAll,
  reportDetails,
  reportLine,
  type EventValue,
  type ScenarioReport,
  type SendRecord,
} from './checks.js';

/**
 * Shared machinery of the fault specs: the 3-broker cluster of docs/reliability.md, a Nest app with
 * the producer under test, a stream of numbered events, and the report line / table.
 */

/** Topic-level settings every fault topic gets from the cluster: RF 3, min ISR 2, no unclean election. */
export const FAULT_BROKER_CONFIG = {
  'min.insync.replicas': '2',
  'unclean.leader.election.enable': 'false',
};

/** Starts the docs/reliability.md cluster: 3 combined KRaft nodes. */
export function startFaultCluster(
  extra: { externalAdvertisedPort?: (id: number) => number } = {},
): Promise<KafkaCluster> {
  return KafkaCluster.start({ brokers: 3, brokerConfig: FAULT_BROKER_CONFIG, ...extra });
}

/** The event every fault scenario sends (the topic is given per send). */
@KafkaEvent('fault-events')
@KeyedBy('key')
export class FaultEvent implements EventValue {
  @IsString() id!: string;
  @IsString() key!: string;
  @IsInt() @Min(0) seq!: number;
}

/** Keeps the producer's log lines (kafkajs's included) instead of printing them. */
export class CapturedLogs implements LoggerService {
  readonly lines: string[] = [];
  counts = { error: 0, warn: 0 };
  private readonly echo = process.env.FAULTS_LOG === '1';

  log(message: unknown) {
    this.keep('log', message);
  }
  error(message: unknown) {
    this.counts.error++;
    this.keep('error', message);
  }
  warn(message: unknown) {
    this.counts.warn++;
    this.keep('warn', message);
  }
  debug() {}
  verbose() {}

  /** The last `n` lines, for a failure message. */
  tail(n = 15): string {
    return this.lines
      .slice(-n)
      .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l))
      .join('\n');
  }

  private keep(level: string, message: unknown) {
    const line = `${new Date().toISOString()} ${level} ${String(message)}`.slice(0, 600);
    this.lines.push(line);
    if (this.lines.length > 500) this.lines.splice(0, this.lines.length - 500);
    if (this.echo) process.stderr.write(`${line}\n`);
  }
}

export interface BootOptions {
  brokers: string[];
  reliability?: ReliabilitySpec;
  producer?: ProducerSettings;
  shutdownTimeoutMs?: number;
}

export interface Booted {
  app: TestingModule;
  producer: ProducerService;
  logs: CapturedLogs;
}

/** Apps and streams of the running scenario, for {@link cleanupScenario}. */
const openApps = new Set<TestingModule>();
const openStreams = new Set<EventStream>();

/**
 * For afterEach: stops the streams and closes the apps a failed scenario left behind, so the
 * next scenario (and jest's exit) is not disturbed by them.
 */
export async function cleanupScenario(): Promise<void> {
  for (const stream of openStreams) stream.stop();
  openStreams.clear();
  for (const app of [...openApps]) await closeApp(app).catch(() => undefined);
}

/** For afterEach: resumes paused brokers and restarts dead ones. */
export async function healCluster(cluster: KafkaCluster): Promise<void> {
  for (const b of cluster.brokers) cluster.resume(b.id);
  const dead = cluster.brokers.filter((b) => !cluster.isRunning(b.id));
  await Promise.all(dead.map((b) => cluster.restart(b.id)));
}

/** A Nest app holding the producer under test, initialized (eager connect). */
export async function bootProducer(options: BootOptions): Promise<Booted> {
  const logs = new CapturedLogs();
  const app = await Test.createTestingModule({
    imports: [
      KafkaProducerModule.forRoot({
        client: { brokers: options.brokers, clientId: 'fault-tests' },
        reliability: options.reliability ?? 'all',
        producer: options.producer,
        shutdownTimeoutMs: options.shutdownTimeoutMs ?? 15_000,
      }),
    ],
  })
    .setLogger(logs)
    .compile();
  app.useLogger(logs);
  openApps.add(app);
  await app.init();
  return { app, producer: app.get(ProducerService), logs };
}

/** Closes the app, bounded: a close that hangs fails the test instead of stalling the run. */
export async function closeApp(app: TestingModule, timeoutMs = 60_000): Promise<void> {
  openApps.delete(app);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    app.close(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`app.close() took over ${timeoutMs} ms`)),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let runCounter = 0;

/**
 * Numbered events over a fixed set of keys (round robin), each `send()` tracked as a
 * {@link SendRecord}. `start()` sends a steady stream until `stop()`.
 */
export class EventStream {
  readonly records: SendRecord[] = [];
  private readonly seqs = new Map<string, number>();
  private readonly prefix = `${Date.now().toString(36)}-${++runCounter}`;
  private readonly pending = new Set<Promise<void>>();
  private counter = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly producer: ProducerService,
    readonly topic: string,
    private readonly keys = 12,
  ) {
    openStreams.add(this);
  }

  /** Sends the next event (next key, its next seq) and tracks its outcome. */
  send(): SendRecord {
    const n = this.counter++;
    const key = `key-${n % this.keys}`;
    const seq = this.seqs.get(key) ?? 0;
    this.seqs.set(key, seq + 1);
    const value = { id: `${this.prefix}-${n}`, key, seq };
    const record: SendRecord = { value, startedAt: Date.now(), status: 'pending' };
    this.records.push(record);
    // send() may also throw synchronously (e.g. once shutting down): treat it as a rejection.
    const sending = Promise.resolve().then(() =>
      this.producer.send(Object.assign(new FaultEvent(), value), { topic: this.topic }),
    );
    const settled = sending.then(
      (report) => {
        record.settledAt = Date.now();
        record.status = 'acked';
        record.report = { partition: report.partition, offset: report.offset };
      },
      (error: unknown) => {
        record.settledAt = Date.now();
        record.status = 'rejected';
        record.error = error;
      },
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return record;
  }

  /** Sends `count` events in one go (a burst). */
  burst(count: number): void {
    for (let i = 0; i < count; i++) this.send();
  }

  /**
   * Sends `perTick` events every `intervalMs` until {@link stop}; a tick is skipped while
   * `maxPending` sends are unsettled (so an outage does not pile up unbounded work).
   */
  start(intervalMs = 10, perTick = 2, maxPending = 3000): void {
    this.stop();
    this.timer = setInterval(() => {
      if (this.pending.size >= maxPending) return;
      for (let i = 0; i < perTick; i++) this.send();
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get unsettled(): number {
    return this.pending.size;
  }

  count(status: SendRecord['status']): number {
    return this.records.filter((r) => r.status === status).length;
  }

  /**
   * Waits until `n` sends are acked; true then, false (with a note printed) after `timeoutMs`.
   * Soft on purpose: the scenario goes on and its report says what happened.
   */
  async waitForAcked(n: number, timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.count('acked') < n) {
      if (Date.now() > deadline) {
        const rejected = this.count('rejected');
        print(
          `[fault]   note: only ${this.count('acked')} of ${n} sends acked after ${timeoutMs} ms ` +
            `(${rejected} rejected so far)`,
        );
        return false;
      }
      await sleep(20);
    }
    return true;
  }

  /**
   * Waits until every send settled, or until the last one started `boundMs` ago, whichever
   * comes first (what is still pending then is hung).
   */
  async settled(boundMs: number): Promise<void> {
    const last = this.records.at(-1)?.startedAt ?? Date.now();
    const deadline = last + boundMs + 100;
    while (this.pending.size > 0 && Date.now() < deadline) await sleep(50);
  }
}

/** `N× ErrorClass: message` per distinct failure among `records` (pending ones too). */
export function describeFailures(records: readonly SendRecord[]): string {
  const tally = new Map<string, number>();
  for (const r of records) {
    if (r.status === 'acked') continue;
    const what =
      r.status === 'pending'
        ? 'pending'
        : `${errorName(r.error)}: ${r.error instanceof Error ? r.error.message : String(r.error)}`;
    tally.set(what, (tally.get(what) ?? 0) + 1);
  }
  return [...tally].map(([what, n]) => `${n}× ${what}`).join('; ');
}

export interface FinishOptions {
  /** Brokers the independent reader uses (direct, not through a fault proxy). */
  checkBrokers: string[];
  /** A send is hung when it has no answer after this long. */
  hangBoundMs: number;
  /** Closes the app before reading (default true): no retry of the producer may still land. */
  close?: boolean;
  /** acks 0: reports carry offset -1 (see computeReport). */
  acksZero?: boolean;
}

const results: ScenarioReport[] = [];

/** Where report lines are appended, besides stdout (one file per `npm run faults` day). */
function reportFile(): string {
  const dir = join(repoRoot(), '.build', 'faults');
  mkdirSync(dir, { recursive: true });
  return join(dir, 'report.txt');
}

/** Writes a line straight to stdout (jest's console adds a stack frame to each line). */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/**
 * Ends a scenario: stops the stream, waits for answers (up to the hang bound), closes the
 * app, reads the topic back and computes, prints and records the report.
 */
export async function finishScenario(
  name: string,
  stream: EventStream,
  booted: Booted,
  options: FinishOptions,
): Promise<ScenarioReport> {
  stream.stop();
  openStreams.delete(stream);
  await stream.settled(options.hangBoundMs);
  const checkedAt = Date.now();
  if (options.close ?? true) await closeApp(booted.app);
  const stored = await readAll(options.checkBrokers, stream.topic);
  const report = computeReport(name, stream.records, stored, options.hangBoundMs, checkedAt, {
    acksZero: options.acksZero,
  });
  results.push(report);
  print(`[fault] ${reportLine(report)}`);
  print(`[fault]   ${reportDetails(report)}`);
  try {
    appendFileSync(
      reportFile(),
      `${new Date().toISOString()} ${reportLine(report)} | ${reportDetails(report)}\n`,
    );
  } catch {
    // the file is a convenience; stdout has the line
  }
  if (report.lost + report.reordered + report.hung + report.misreported > 0) {
    print(`[fault]   producer log tail:\n${booted.logs.tail()}`);
  }
  return report;
}

/** Prints the table of every scenario this spec file ran (call in afterAll). */
export function printTable(): void {
  if (results.length === 0) return;
  const header = ['scenario', 'sent', 'acked', 'lost', 'duplicated', 'reordered', 'hung'];
  const rows = results.map((r) => [
    r.scenario,
    r.sent,
    r.acked,
    r.lost,
    r.duplicated,
    r.reordered,
    r.hung,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (cells: Array<string | number>) =>
    cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  print(['', fmt(header), ...rows.map(fmt), ''].join('\n'));
}

/** Leader and in-sync replicas of every partition of `topic`, asked of a live broker. */
export async function partitionState(
  brokers: string[],
  topic: string,
): Promise<Array<{ partition: number; leader: number; isr: number[] }>> {
  const admin = new Kafka({
    clientId: 'fault-admin',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 2 },
  }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions
      .map((p) => ({ partition: p.partitionId, leader: p.leader, isr: p.isr }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Waits until `check` holds for the topic's partitions (polling metadata), or throws. */
export async function waitForPartitions(
  brokers: string[],
  topic: string,
  what: string,
  check: (parts: Array<{ partition: number; leader: number; isr: number[] }>) => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const parts = await partitionState(brokers, topic);
      last = JSON.stringify(parts);
      if (check(parts)) return;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(`${topic}: ${what} not reached after ${timeoutMs} ms; last: ${last}`);
    }
    await sleep(250);
  }
}

/**
 * Creates a topic with `partitions` partitions and replication factor 3 and waits until every
 * partition has a leader and a full ISR. Unlike kafkajs's `waitForLeaders`, it tolerates a
 * broker that does not know the new topic yet ("does not host this topic-partition") and asks
 * again, which a freshly started or just restarted cluster on a busy machine needs.
 */
export async function createFaultTopic(
  brokers: string[],
  topic: string,
  partitions = 3,
): Promise<void> {
  const admin = new Kafka({ clientId: 'fault-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      timeout: 30_000,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 3 }],
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  await waitForPartitions(
    brokers,
    topic,
    `${partitions} partitions with full ISR`,
    (parts) => parts.length === partitions && fullIsr()(parts),
  );
}

/** Every partition has a leader and all `replicas` in sync. */
export function fullIsr(replicas = 3) {
  return (parts: Array<{ leader: number; isr: number[] }>) =>
    parts.length > 0 && parts.every((p) => p.leader >= 0 && p.isr.length >= replicas);
}

/** Every partition is led by a broker other than `gone`. */
export function ledWithout(gone: number) {
  return (parts: Array<{ leader: number }>) =>
    parts.length > 0 && parts.every((p) => p.leader >= 0 && p.leader !== gone);
}
