import { MemoryOutboxStore } from './memory-outbox.store.js';
import { describeOutboxStoreContract, outboxRecord } from './outbox-store.contract.js';

describeOutboxStoreContract('MemoryOutboxStore', {
  make: async () => {
    const store = new MemoryOutboxStore();
    await store.init();
    return store;
  },
});

describe('MemoryOutboxStore', () => {
  it('is not durable', () => {
    expect(new MemoryOutboxStore().durable).toBe(false);
  });

  it('uses the given clock for leases, retries and ages', async () => {
    let now = 1_000_000;
    const store = new MemoryOutboxStore({ now: () => now });
    const r1 = outboxRecord();
    await store.add([r1]);
    const [row] = await store.claim({ owner: 'a', limit: 1, leaseMs: 5000 });
    expect(row.lockedUntil!.getTime()).toBe(1_005_000);
    now += 5000;
    expect(await store.claim({ owner: 'b', limit: 1, leaseMs: 5000 })).toEqual([]);
    now += 1;
    expect(await store.claim({ owner: 'b', limit: 1, leaseMs: 5000 })).toHaveLength(1);
    expect((await store.stats()).oldestAgeMs).toBe(5001);
  });

  it('reclaims a key’s expired PROCESSING row before the next row of the key', async () => {
    let now = 0;
    const store = new MemoryOutboxStore({ now: () => now });
    const r1 = outboxRecord();
    const r2 = outboxRecord();
    await store.add([r1, r2]);
    await store.claim({ owner: 'a', limit: 1, leaseMs: 10 });
    now = 100;
    const again = await store.claim({ owner: 'b', limit: 10, leaseMs: 10 });
    expect(again.map((r) => r.id)).toEqual([r1.id]);
  });
});
