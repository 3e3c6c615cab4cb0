import type { Logger } from '@nestjs/common';
import { AuthenticationError } from '../../errors/authentication.error.js';
import { AuthorizationError } from '../../errors/authorization.error.js';
import { ProducerNotConnectedError } from '../../errors/producer-not-connected.error.js';
import { TlsError } from '../../errors/tls.error.js';
import { connectWithRetries, type ConnectPolicy } from './connect.js';

/** A logger that keeps what it was told, so a test can read the attempts back. */
function logger() {
  const lines: string[] = [];
  const log = (message: string) => void lines.push(message);
  return { lines, logger: { log, warn: log } as unknown as Logger };
}

const policy = (attempts: number, timeoutMs = 1000): ConnectPolicy => ({
  brokers: ['b1:9092', 'b2:9092'],
  attempts,
  timeoutMs,
  label: 'all',
});

/** An attempt that fails its first `failures` calls (ECONNREFUSED), then succeeds. */
function flaky(failures: number) {
  let calls = 0;
  const attempt = () => {
    calls++;
    return calls <= failures
      ? Promise.reject(new Error(`connect ECONNREFUSED (attempt ${calls})`))
      : Promise.resolve();
  };
  return { attempt, calls: () => calls };
}

describe('connectWithRetries', () => {
  it('connects at the first attempt that succeeds, within the attempts', async () => {
    const { lines, logger: log } = logger();
    const { attempt, calls } = flaky(2);
    await expect(connectWithRetries(attempt, policy(3), log)).resolves.toBeUndefined();
    expect(calls()).toBe(3);
    expect(lines).toEqual([
      'connect attempt 1/3 (all) failed: Error: connect ECONNREFUSED (attempt 1)',
      'connect attempt 2/3 (all) failed: Error: connect ECONNREFUSED (attempt 2)',
      'connected (all) to b1:9092, b2:9092',
    ]);
  });

  it('rejects after the attempts with ProducerNotConnectedError naming the brokers and the last reason', async () => {
    const { attempt, calls } = flaky(5);
    const error = await connectWithRetries(attempt, policy(2), logger().logger).catch(
      (e: unknown) => e,
    );
    expect(calls()).toBe(2);
    expect(error).toBeInstanceOf(ProducerNotConnectedError);
    const notConnected = error as ProducerNotConnectedError;
    expect(notConnected.brokers).toEqual(['b1:9092', 'b2:9092']);
    expect(notConnected.retriable).toBe(true);
    expect(notConnected.message).toBe(
      'the Kafka producer is not connected (brokers tried: b1:9092, b2:9092): connect ECONNREFUSED (attempt 2)',
    );
    expect((notConnected.cause as Error).message).toBe('connect ECONNREFUSED (attempt 2)');
  });

  it("names the reason inside an attempt's own ProducerNotConnectedError", async () => {
    const reason = new Error('getaddrinfo ENOTFOUND b1');
    const attempt = () =>
      Promise.reject(
        new ProducerNotConnectedError('the Kafka producer is not connected', ['b1:9092'], {
          cause: reason,
        }),
      );
    const error = (await connectWithRetries(attempt, policy(1), logger().logger).catch(
      (e: unknown) => e,
    )) as ProducerNotConnectedError;
    expect(error).toBeInstanceOf(ProducerNotConnectedError);
    expect(error.message).toBe(
      'the Kafka producer is not connected (brokers tried: b1:9092, b2:9092): getaddrinfo ENOTFOUND b1',
    );
    expect(error.cause).toBe(reason);
  });

  it('bounds an attempt that hangs by timeoutMs, and tries again', async () => {
    let calls = 0;
    const attempt = () => {
      calls++;
      // The first attempt never settles; the second succeeds.
      return calls === 1 ? new Promise<void>(() => undefined) : Promise.resolve();
    };
    const { lines, logger: log } = logger();
    await expect(connectWithRetries(attempt, policy(2, 50), log)).resolves.toBeUndefined();
    expect(calls).toBe(2);
    expect(lines[0]).toBe('connect attempt 1/2 (all) failed: Error: connect timed out after 50 ms');

    const hanging = connectWithRetries(
      () => new Promise<void>(() => undefined),
      policy(1, 50),
      logger().logger,
    );
    await expect(hanging).rejects.toThrow(
      'the Kafka producer is not connected (brokers tried: b1:9092, b2:9092): connect timed out after 50 ms',
    );
  });

  it('gives up at the first refused login, unverified certificate or refused principal, with its typed error', async () => {
    const sasl = Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), {
      name: 'KafkaJSSASLAuthenticationError',
      retriable: false,
    });
    const tls = Object.assign(new Error('Connection error: self-signed certificate in chain'), {
      name: 'KafkaJSConnectionError',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
      retriable: true,
    });
    const acl = Object.assign(new Error('Cluster authorization failed'), {
      name: 'KafkaJSProtocolError',
      type: 'CLUSTER_AUTHORIZATION_FAILED',
      retriable: false,
    });
    for (const [thrown, type] of [
      [sasl, AuthenticationError],
      [tls, TlsError],
      [acl, AuthorizationError],
    ] as const) {
      let calls = 0;
      const attempt = () => {
        calls++;
        return Promise.reject(thrown);
      };
      const error = await connectWithRetries(attempt, policy(5), logger().logger).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(type);
      expect(calls).toBe(1);
    }
  });
});
