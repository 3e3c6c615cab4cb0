import { describe, expect, it } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import { OutboxRelay, resolveRelayOptions } from './outbox-relay.js';
import { MemoryOutboxStore } from './stores/memory-outbox.store.js';
import { outboxRecord } from './stores/outbox-store.contract.js';
import type { OutboxRow } from './stores/outbox-store.interface.js';

const logger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A memory store on a clock the test moves, whose markPublished fails while `down`. */
class FlakyStore extends MemoryOutboxStore {
  down = false;
  override markPublished(
    id: string,
    owner: string,
    result: { partition: number; offset: string },
  ): Promise<boolean> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    return super.markPublished(id, owner, result);
  }
}

describe('OutboxRelay', () => {
  it('a row sent but not marked (store down) is sent again, same id, once its lease expired, before the next row of its key', async () => {
    let now = 1_000_000;
    const store = new FlakyStore({ now: () => now });
    const [r1, r2] = [outboxRecord(), outboxRecord()];
    await store.add([r1, r2]);
    const sent: Array<{ id: string; header: string }> = [];
    let offset = 0;
    const publish = (row: OutboxRow): Promise<DeliveryReport> => {
      sent.push({ id: row.id, header: row.headers['x-event-id'].toString() });
      return Promise.resolve({
        topic: row.topic,
        partition: 0,
        offset: String(offset++),
        key: null,
        timestamp: String(row.timestamp),
        eventId: row.id,
      });
    };
    const relay = new OutboxRelay(
      store,
      publish,
      resolveRelayOptions({ owner: 'relay', leaseMs: 5000 }),
      logger as unknown as Logger,
    );

    store.down = true;
    expect(await relay.runOnce()).toBe(1);
    store.down = false;
    expect((await store.get(r1.id))!.status).toBe('PROCESSING');
    // Within the lease, nothing of the key is claimed (r2 waits behind r1).
    now += 5000;
    expect(await relay.runOnce()).toBe(0);
    now += 1;
    expect(await relay.runOnce()).toBe(1);
    expect(await relay.runOnce()).toBe(1);

    expect(sent).toEqual([
      { id: r1.id, header: r1.id },
      { id: r1.id, header: r1.id },
      { id: r2.id, header: r2.id },
    ]);
    const row1 = (await store.get(r1.id))!;
    expect(row1).toMatchObject({ status: 'PUBLISHED', attempts: 2, kafkaOffset: '1' });
    expect((await store.get(r2.id))!.status).toBe('PUBLISHED');
  });
});
