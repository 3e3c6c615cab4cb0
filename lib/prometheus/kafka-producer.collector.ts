import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProducerMetrics } from '../interfaces/producer-metrics.interface.js';

/** What the collector reads: a ProducerService (or anything with its `metrics()`). */
export interface ProducerMetricsSource {
  metrics(): Promise<ProducerMetrics>;
}

/** Java's metric name as a Prometheus one: `record-send-total` → `kafka_producer_record_send_total`. */
export function prometheusName(javaName: string, prefix = 'kafka_producer_'): string {
  return prefix + javaName.replace(/-/g, '_');
}

/** How long one reading of the producers serves a scrape's metrics (ms). */
const SCRAPE_REUSE_MS = 250;

/** Rates are left out: Prometheus computes them from the totals (`rate()`). */
const isRate = (name: string) => name.endsWith('-rate');
const isTotal = (name: string) => name.endsWith('-total');

/**
 * Registers the producers' metrics in a prom-client registry under `kafka_producer_*`
 * names: each Java `*-total` as a counter, every other value (averages, maxima, the buffer,
 * the outbox) as a gauge, labelled `producer` and `client_id` (and `topic` for the
 * per-topic group, named `kafka_producer_topic_*`). Read on every scrape, from
 * `producer.metrics()`. Returns the metrics registered.
 */
export function registerKafkaProducerMetrics(
  registry: Registry,
  producers: readonly ProducerMetricsSource[],
): Array<Counter | Gauge> {
  // Every metric's collect runs on each scrape: they share one reading per producer.
  let reading: { at: number; snapshots: Promise<ProducerMetrics[]> } | undefined;
  const read = (): Promise<ProducerMetrics[]> => {
    const now = Date.now();
    if (!reading || now - reading.at > SCRAPE_REUSE_MS) {
      reading = { at: now, snapshots: Promise.all(producers.map((p) => p.metrics())) };
    }
    return reading.snapshots;
  };
  const created: Array<Counter | Gauge> = [];
  const producerNames = Object.keys(PRODUCER_NAMES) as Array<keyof ProducerMetrics['metrics']>;
  for (const javaName of producerNames) {
    if (isRate(javaName)) continue;
    const name = prometheusName(javaName);
    const help = `Java producer metric ${javaName}`;
    const labelNames = ['producer', 'client_id'] as const;
    if (isTotal(javaName)) {
      const last = new Map<string, number>();
      created.push(
        new Counter({
          name,
          help,
          labelNames,
          registers: [registry],
          async collect() {
            for (const m of await read()) {
              const labels = { producer: m.producer, client_id: m.clientId };
              const id = `${m.producer}\0${m.clientId}`;
              const value = m.metrics[javaName];
              const delta = value - (last.get(id) ?? 0);
              if (delta > 0) this.inc(labels, delta);
              else if (!last.has(id)) this.inc(labels, 0);
              last.set(id, value);
            }
          },
        }),
      );
    } else {
      created.push(
        new Gauge({
          name,
          help,
          labelNames,
          registers: [registry],
          async collect() {
            for (const m of await read()) {
              this.set({ producer: m.producer, client_id: m.clientId }, m.metrics[javaName]);
            }
          },
        }),
      );
    }
  }
  for (const javaName of TOPIC_NAMES) {
    if (isRate(javaName)) continue;
    const name = prometheusName(javaName, 'kafka_producer_topic_');
    const help = `Java producer topic metric ${javaName}`;
    const labelNames = ['producer', 'client_id', 'topic'] as const;
    const last = new Map<string, number>();
    const collect = async (metric: Counter | Gauge, total: boolean) => {
      for (const m of await read()) {
        for (const [topic, values] of Object.entries(m.topics)) {
          const labels = { producer: m.producer, client_id: m.clientId, topic };
          const value = values[javaName];
          if (!total) {
            (metric as Gauge).set(labels, value);
            continue;
          }
          const id = `${m.producer}\0${m.clientId}\0${topic}`;
          (metric as Counter).inc(labels, Math.max(0, value - (last.get(id) ?? 0)));
          last.set(id, value);
        }
      }
    };
    created.push(
      isTotal(javaName)
        ? new Counter({
            name,
            help,
            labelNames,
            registers: [registry],
            collect() {
              return collect(this, true);
            },
          })
        : new Gauge({
            name,
            help,
            labelNames,
            registers: [registry],
            collect() {
              return collect(this, false);
            },
          }),
    );
  }
  for (const [javaName, help] of OUTBOX_NAMES) {
    created.push(
      new Gauge({
        name: prometheusName(javaName, 'kafka_producer_outbox_'),
        help,
        labelNames: ['producer', 'client_id'],
        registers: [registry],
        async collect() {
          for (const m of await read()) {
            if (m.outbox)
              this.set({ producer: m.producer, client_id: m.clientId }, m.outbox[javaName]);
          }
        },
      }),
    );
  }
  return created;
}

/** Every producer-metrics name (the keys of ProducerMetricValues), in one place. */
const PRODUCER_NAMES: Record<keyof ProducerMetrics['metrics'], true> = {
  'record-send-total': true,
  'record-send-rate': true,
  'record-error-total': true,
  'record-error-rate': true,
  'record-retry-total': true,
  'record-retry-rate': true,
  'record-queue-time-avg': true,
  'record-queue-time-max': true,
  'request-latency-avg': true,
  'request-latency-max': true,
  'request-total': true,
  'request-rate': true,
  'batch-size-avg': true,
  'batch-size-max': true,
  'records-per-request-avg': true,
  'compression-rate-avg': true,
  'byte-total': true,
  'byte-rate': true,
  'buffer-total-bytes': true,
  'buffer-available-bytes': true,
  'bufferpool-wait-time-total': true,
  'bufferpool-wait-time-ns-total': true,
  'waiting-threads': true,
};

const TOPIC_NAMES: ReadonlyArray<keyof ProducerMetrics['topics'][string]> = [
  'record-send-total',
  'record-send-rate',
  'record-error-total',
  'record-error-rate',
  'record-retry-total',
  'record-retry-rate',
  'byte-total',
  'byte-rate',
  'compression-rate',
];

const OUTBOX_NAMES: ReadonlyArray<[keyof NonNullable<ProducerMetrics['outbox']>, string]> = [
  ['backlog', 'Outbox rows still to publish'],
  ['oldest-age-ms', 'Age in ms of the oldest outbox row still to publish'],
  ['dead', 'DEAD outbox rows'],
];
