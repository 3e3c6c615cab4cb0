import { MemoryOutboxStore } from './outbox/stores/memory-outbox.store.js';
import { describeOptions, resolveOptions } from './kafka-producer.options.js';

describe('describeOptions', () => {
  it('echoes the options with every default, and no password, token or key', () => {
    const text = describeOptions(
      resolveOptions({
        client: {
          brokers: ['127.0.0.1:9093'],
          clientId: 'orders',
          ssl: { ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'] },
          sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-pw' },
        },
        outbox: { store: new MemoryOutboxStore() },
        producer: { partitioner: () => 0 },
      }),
    );
    const echoed = JSON.parse(text) as Record<string, unknown>;
    expect(echoed).toMatchObject({
      client: {
        brokers: ['127.0.0.1:9093'],
        clientId: 'orders',
        ssl: { ca: '[redacted]' },
        sasl: { mechanism: 'scram-sha-512', username: 'alice', password: '[redacted]' },
      },
      deliveryTimeoutMs: 120000,
      partitioner: '[function]',
      outbox: { store: '[MemoryOutboxStore]' },
    });
    expect(text).not.toMatch(/alice-pw|BEGIN/);
  });
});
