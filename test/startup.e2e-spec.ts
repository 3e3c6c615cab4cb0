import { createServer } from 'node:net';
import { ChildScript, exited } from './support/child-script.js';

/** A loopback port where nothing listens: bound once by the OS, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Run {
  readonly code: number | null;
  readonly signal: string | null;
  readonly output: string;
}

/** F14: an app whose Kafka cannot be reached must fail its start, never exit 0. */
describe('start-up with Kafka unreachable (child processes)', () => {
  let script: ChildScript;
  let brokers: string;

  beforeAll(async () => {
    script = await ChildScript.build('test/support/startup-app.ts');
    brokers = `127.0.0.1:${await closedPort()}`;
  });

  afterAll(() => script.remove());

  async function run(shape: string): Promise<Run> {
    const { child, output } = script.spawn({ KAFKA_BROKERS: brokers, STARTUP_SHAPE: shape });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited(child);
    clearTimeout(killer);
    return { code: child.exitCode, signal: child.signalCode, output: output.text };
  }

  /** `count` runs of `shape`, `parallel` at a time. */
  async function runs(shape: string, count: number, parallel = 4): Promise<Run[]> {
    const results: Run[] = [];
    for (let i = 0; i < count; i += parallel) {
      const wave = Math.min(parallel, count - i);
      results.push(...(await Promise.all(Array.from({ length: wave }, () => run(shape)))));
    }
    return results;
  }

  function expectFailedStart(results: Run[]): void {
    for (const result of results) {
      expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null });
      expect(result.output).toContain('ProducerNotConnectedError');
      expect(result.output).toContain(brokers);
    }
  }

  it('the usual main (bootstrap().catch → exit 1) exits 1 with ProducerNotConnectedError, 10 of 10 runs', async () => {
    const results = await runs('catch', 10);
    expect(results).toHaveLength(10);
    expectFailedStart(results);
  });

  it('a main with top-level await exits 1 with ProducerNotConnectedError, 10 of 10 runs', async () => {
    const results = await runs('top-level-await', 10);
    expect(results).toHaveLength(10);
    expectFailedStart(results);
  });

  it("with connect: 'lazy' the app starts and its first send rejects with a typed error", async () => {
    const results = await runs('lazy', 3, 3);
    for (const result of results) {
      expect(result.code).toBe(3);
      expect(result.output).toMatch(
        /first send rejected: (ProducerNotConnectedError|DeliveryTimeoutError): /,
      );
      expect(result.output).toContain(brokers);
    }
  });
});
