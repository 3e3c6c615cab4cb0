import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap } from '../sample/main.js';
import { startPrometheus, type RunningPrometheus } from '../tools/prometheus/prometheus.js';

/** Waits until `check` holds, polling; false if it never did within `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

describe('a real Prometheus server scraping the sample’s GET /metrics', () => {
  let app: INestApplication;
  let prometheus: RunningPrometheus;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prometheus-e2e-'));
    const saved = process.env.OUTBOX_FILE;
    process.env.OUTBOX_FILE = join(dir, 'outbox.db');
    try {
      app = await bootstrap(0);
    } finally {
      if (saved === undefined) delete process.env.OUTBOX_FILE;
      else process.env.OUTBOX_FILE = saved;
    }
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    prometheus = await startPrometheus(new URL(url).host, 500);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after N orders, PromQL over the HTTP API reads record-send-total = N', async () => {
    const orders = 12;
    for (let i = 0; i < orders; i++) {
      const res = await fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku: `prom-${i}`, quantity: 1, tenantId: 'prom' }),
      });
      expect(res.status).toBe(201);
    }
    // Each order is one audit record (the 'audit' producer) and one orders.created record.
    const audit = 'kafka_producer_record_send_total{producer="audit"}';
    const created =
      'kafka_producer_topic_record_send_total{producer="default",topic="orders.created"}';
    const value = async (promql: string) => (await prometheus.query(promql))[0]?.value;
    const scraped = await until(async () => (await value(audit)) === orders, 30_000);
    expect(await value(audit)).toBe(orders);
    expect(scraped).toBe(true);
    expect(await value(created)).toBe(orders);
    expect(await value('kafka_producer_record_error_total{producer="default"}')).toBe(0);
    expect(await value('kafka_producer_buffer_total_bytes{producer="default"}')).toBe(33554432);
    const health = await fetch(`${url}/health/ready`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
  });
});
