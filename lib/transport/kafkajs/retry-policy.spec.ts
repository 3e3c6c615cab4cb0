import { resolveReliability } from '../../metadata/reliability-profile.js';
import { retryOptions } from './retry-policy.js';

describe('retryOptions', () => {
  const backoff = { retryBackoffMs: 100, retryBackoffMaxMs: 1000 };

  it('fits as many doubling backoffs as the delivery timeout allows', () => {
    // 100 + 200 + 400 + 800 = 1500, then 1000 each: 120 s takes 4 + 119 backoffs.
    expect(retryOptions(resolveReliability('all', 120_000), backoff).retries).toBe(123);
    expect(retryOptions(resolveReliability('all', 1_500), backoff).retries).toBe(4);
    expect(retryOptions(resolveReliability('all', 1_501), backoff)).toMatchObject({
      retries: 5,
      initialRetryTime: 100,
      maxRetryTime: 1000,
      multiplier: 2,
      factor: 0.2,
    });
  });

  it('keeps a lower retry count a profile asks for, and at least one retry', () => {
    expect(retryOptions(resolveReliability('leader', 120_000), backoff).retries).toBe(5);
    const none = resolveReliability({ acks: 1, retries: 0 }, 120_000);
    expect(retryOptions(none, backoff).retries).toBe(1);
  });
});
