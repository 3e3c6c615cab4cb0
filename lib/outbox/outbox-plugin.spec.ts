import type { Logger } from '@nestjs/common';
import type { EngineAccess } from '../engine/engine-hooks.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { uuidv7 } from '../utils/uuidv7.js';
import { NO_OUTBOX, OutboxPlugin } from './outbox-plugin.js';
import { MemoryOutboxStore } from './stores/memory-outbox.store.js';

const logger = { log: () => undefined, warn: () => undefined, error: () => undefined };

function record(key: string): OutgoingRecord {
  return {
    topic: 't',
    keyValue: key,
    key: Buffer.from(key),
    value: Buffer.from('v'),
    headers: {},
    timestamp: 0,
    eventId: uuidv7(),
    size: 2,
  };
}

/** The engine side: records what the plug-in publishes through it. */
function engine() {
  const published: OutgoingRecord[] = [];
  const access: EngineAccess = {
    publish: (r) => {
      published.push(r);
      return Promise.resolve({
        topic: r.topic,
        partition: 0,
        offset: String(published.length - 1),
      } as DeliveryReport);
    },
    prepareAll: (events) =>
      Promise.resolve(events.map((e) => record(String((e as { k: string }).k)))),
    failQueued: () => undefined,
  };
  return { access, published };
}

describe('OutboxPlugin (the outbox as the engine sees it)', () => {
  it('opens the store at init, relays stored rows through the engine once started, closes last', async () => {
    const store = new MemoryOutboxStore();
    const { access, published } = engine();
    const plugin = new OutboxPlugin(
      access,
      { store, relay: { pollIntervalMs: 10 } },
      logger as unknown as Logger,
    );
    const hooks = plugin.hooks();
    expect(hooks.route).toBeDefined(); // fallback mode is the default
    await hooks.init!();
    const { records, wake } = await plugin.recordsForOutbox([{ k: 'a' }, { k: 'b' }]);
    await store.add(records);
    hooks.started!();
    wake();
    for (let i = 0; i < 100 && published.length < 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(published.map((r) => r.eventId).sort()).toEqual(records.map((r) => r.id).sort());
    expect((await plugin.outboxStats()).backlog).toBe(0);
    await hooks.stopping!();
    await hooks.closed!();
  });

  it('without fallback mode there is no delivery route', () => {
    const plugin = new OutboxPlugin(
      engine().access,
      { store: new MemoryOutboxStore(), fallback: false },
      logger as unknown as Logger,
    );
    expect(plugin.hooks().route).toBeUndefined();
  });

  it('a producer without an outbox refuses enqueue with ConfigurationError', async () => {
    await expect(NO_OUTBOX.recordsForOutbox([{}])).rejects.toBeInstanceOf(ConfigurationError);
    expect(NO_OUTBOX.outboxStats()).toBeUndefined();
  });
});
