import { Registry } from 'prom-client';
import { MetricsRecorder } from '../observability/metrics-recorder.js';
import type { ProducerMetrics } from '../interfaces/producer-metrics.interface.js';
import { prometheusName, registerKafkaProducerMetrics } from './kafka-producer.collector.js';

/** A producer whose metrics() is a real recorder's reading, with totals set by the test. */
function source(sent: () => number, outbox?: ProducerMetrics['outbox']) {
  const recorder = new MetricsRecorder();
  return {
    metrics: (): Promise<ProducerMetrics> => {
      const values = recorder.values({ total: 100, available: 40, waiting: 1, waitTimeMs: 0 });
      return Promise.resolve({
        producer: 'default',
        clientId: 'api',
        metrics: { ...values, 'record-send-total': sent() },
        topics: {
          orders: { ...recorder.topicValues().orders, 'record-send-total': sent() } as never,
        },
        ...(outbox ? { outbox } : {}),
      });
    },
  };
}

const valueOf = (text: string, name: string) => {
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.split(' ').pop());
};

describe('registerKafkaProducerMetrics (prom-client)', () => {
  it('names Java metrics kafka_producer_*', () => {
    expect(prometheusName('record-send-total')).toBe('kafka_producer_record_send_total');
    expect(prometheusName('backlog', 'kafka_producer_outbox_')).toBe(
      'kafka_producer_outbox_backlog',
    );
  });

  it('serves totals as counters that follow the producer, the rest as gauges, without rates', async () => {
    let sent = 5;
    const registry = new Registry();
    registerKafkaProducerMetrics(registry, [
      source(() => sent, { backlog: 3, 'oldest-age-ms': 20, dead: 0 }),
    ]);
    let text = await registry.metrics();
    expect(text).toContain('# TYPE kafka_producer_record_send_total counter');
    expect(text).toContain('# TYPE kafka_producer_buffer_available_bytes gauge');
    expect(text).not.toContain('kafka_producer_record_send_rate');
    expect(
      valueOf(text, 'kafka_producer_record_send_total{producer="default",client_id="api"}'),
    ).toBe(5);
    expect(valueOf(text, 'kafka_producer_buffer_available_bytes{')).toBe(40);
    expect(valueOf(text, 'kafka_producer_outbox_backlog{')).toBe(3);
    sent = 12;
    await new Promise((resolve) => setTimeout(resolve, 300));
    text = await registry.metrics();
    expect(valueOf(text, 'kafka_producer_record_send_total{')).toBe(12);
    expect(
      valueOf(
        text,
        'kafka_producer_topic_record_send_total{producer="default",client_id="api",topic="orders"}',
      ),
    ).toBe(12);
  });
});
