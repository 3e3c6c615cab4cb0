import { REDACTED, redact, redactText } from './redact.js';

const KEY =
  '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';

class Store {
  connectionString = 'postgres://app:s3cret@db/app';
}

describe('redact', () => {
  it('hides SASL passwords and tokens, TLS keys, certificates and passphrases; keeps the rest', () => {
    const provider = () => Promise.resolve({ value: 'eyJhbGciOiJub25lIn0.e30.' });
    const out = redact({
      brokers: ['b:9093'],
      clientId: 'orders',
      ssl: {
        ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'],
        key: KEY,
        passphrase: 'p',
        rejectUnauthorized: true,
      },
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-pw' },
      oauth: { mechanism: 'oauthbearer', oauthBearerProvider: provider },
      aws: {
        accessKeyId: 'AKIA',
        secretAccessKey: 'x',
        sessionToken: 'y',
        authorizationIdentity: 'id',
      },
    });
    expect(out).toEqual({
      brokers: ['b:9093'],
      clientId: 'orders',
      ssl: { ca: REDACTED, key: REDACTED, passphrase: REDACTED, rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: REDACTED },
      oauth: { mechanism: 'oauthbearer', oauthBearerProvider: '[function]' },
      aws: {
        accessKeyId: REDACTED,
        secretAccessKey: REDACTED,
        sessionToken: REDACTED,
        authorizationIdentity: 'id',
      },
    });
  });

  it('shows class instances by name, bytes by length, and cuts PEM blocks out of any string', () => {
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    const shared = ['b:1'];
    const out = JSON.stringify(
      redact({
        store: new Store(),
        data: { authBytes: Buffer.from('r=nonce,s=salt,i=4096'), other: Buffer.alloc(3) },
        note: `key follows ${KEY} end`,
        ssl: true,
        cyclic,
        brokers: shared,
        again: shared,
      }),
    );
    expect(out).not.toMatch(/s3cret|nonce|PRIVATE|MIGH/);
    expect(JSON.parse(out)).toEqual({
      store: '[Store]',
      data: { authBytes: REDACTED, other: '[3 bytes]' },
      note: `key follows ${REDACTED}\n end`,
      ssl: true,
      cyclic: { name: 'c', self: '[circular]' },
      brokers: ['b:1'],
      again: ['b:1'],
    });
    expect(redactText('no secret')).toBe('no secret');
  });
});
