import { ConfigurationError } from '../errors/configuration.error.js';
import { resolveReliability } from './reliability-profile.js';

describe('resolveReliability', () => {
  it('maps the named levels to acks and idempotence', () => {
    expect(resolveReliability('fire-and-forget', 1000)).toMatchObject({
      acks: 0,
      idempotent: false,
      retries: 5,
    });
    expect(resolveReliability('leader', 1000)).toMatchObject({ acks: 1, idempotent: false });
    expect(resolveReliability('all', 1000)).toMatchObject({
      acks: -1,
      idempotent: true,
      retries: Number.MAX_SAFE_INTEGER,
      deliveryTimeoutMs: 1000,
    });
  });

  it('takes explicit profiles, and gives equal profiles the same producer id', () => {
    const a = resolveReliability(
      { acks: -1, idempotent: false, retries: 2, deliveryTimeoutMs: 5 },
      1000,
    );
    expect(a).toMatchObject({ acks: -1, idempotent: false, retries: 2, deliveryTimeoutMs: 5 });
    expect(resolveReliability({ acks: -1, idempotent: false, retries: 2 }, 9).id).toBe(a.id);
    expect(resolveReliability({ acks: -1 }, 9).id).toBe(resolveReliability('all', 9).id);
  });

  it('refuses unknown levels and idempotence without acks all', () => {
    expect(() => resolveReliability('most' as 'all', 1)).toThrow(ConfigurationError);
    expect(() => resolveReliability({ acks: 2 as 1 }, 1)).toThrow(ConfigurationError);
    expect(() => resolveReliability({ acks: 1, idempotent: true }, 1)).toThrow(/needs acks -1/);
  });
});
