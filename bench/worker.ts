/**
 * One benchmark cell in a fresh process: `node --expose-gc worker.js '<CellSpec JSON>'`, forked
 * by run.ts with an IPC channel. Only the peer under test is loaded (so its RSS is its own), the
 * workload runs, and the CellResult goes back over IPC. Never run by hand.
 */
import { SkipCell, type Driver } from './peers/driver.js';
import { describeError } from './support/meter.js';
import type { CellResult, CellSpec, RunnerMessage, WorkerMessage } from './support/types.js';
import { WireCounter } from './support/wire-counter.js';
import { runLatency } from './workloads/latency.js';
import { runMemory } from './workloads/memory.js';
import { runThroughput } from './workloads/throughput.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

// A rejection nobody handles (inside a client) must not end the cell without a word.
process.on('unhandledRejection', (reason) => {
  console.error(`unhandled rejection: ${describeError(reason)}`);
  console.error((reason as Error)?.stack ?? '');
});

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

const inbox: RunnerMessage[] = [];
const waiters: Array<() => void> = [];
process.on('message', (m: RunnerMessage) => {
  inbox.push(m);
  for (const w of waiters.splice(0)) w();
});

async function waitFor(type: RunnerMessage['type']): Promise<void> {
  for (;;) {
    const i = inbox.findIndex((m) => m.type === type);
    if (i >= 0) {
      inbox.splice(i, 1);
      return;
    }
    await new Promise<void>((resolve) => waiters.push(resolve));
  }
}

async function openDriver(spec: CellSpec): Promise<Driver> {
  switch (spec.peer) {
    case 'module':
    case 'module@before':
    case 'module-bare':
    case 'module+metrics':
    case 'module+tracing':
    case 'module+tracing-10%':
    case 'module+sdk-floor':
    case 'module+avro':
    case 'module+semi64':
      return (await import('./peers/module.js')).openModule(spec);
    case 'kafkajs':
      return (await import('./peers/kafkajs.js')).openKafkajs(spec);
    case 'client-kafka':
      return (await import('./peers/client-kafka.js')).openClientKafka(spec);
    case 'client-proxy':
      return (await import('./peers/client-proxy.js')).openClientProxy(spec);
    case 'platformatic':
      return (await import('./peers/platformatic.js')).openPlatformatic(spec);
    default:
      throw new Error(`peer ${spec.peer} does not run in a worker`);
  }
}

function emptyResult(spec: CellSpec, status: CellResult['status'], note: string): CellResult {
  return {
    id: spec.id,
    spec,
    status,
    note,
    records: 0,
    seconds: 0,
    msgPerSec: 0,
    mibPerSec: 0,
    cpuSeconds: 0,
    cpuUsPerRecord: 0,
    peakRssMiB: 0,
    errors: 0,
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<CellResult> {
  const spec = JSON.parse(process.argv[2]) as CellSpec;
  const report = (done: number, total: number) => void send({ type: 'progress', done, total });
  if (spec.workload === 'W5') {
    return (await import('./workloads/micro.js')).runMicro(spec, report);
  }
  const wire = new WireCounter(spec.brokers);
  wire.install();
  let driver: Driver;
  try {
    driver = await openDriver(spec);
  } catch (error) {
    if (error instanceof SkipCell) return emptyResult(spec, 'skipped', error.message);
    throw error;
  }
  let result: CellResult;
  try {
    if (spec.workload === 'W2' && spec.rate) result = await runLatency(spec, driver, wire, report);
    else if (spec.workload === 'W3') {
      result = await runMemory(spec, driver, {
        notify: (type) => void send({ type }),
        waitFor,
      });
    } else {
      result = await runThroughput(spec, driver, wire, report, (edge) => {
        void send({ type: 'window', edge });
      });
    }
  } finally {
    await withTimeout(
      driver.close().catch(() => undefined),
      10_000,
    );
  }
  return result;
}

main().then(
  async (result) => {
    await send({ type: 'result', result });
    process.exit(0);
  },
  async (error: unknown) => {
    console.error((error as Error)?.stack ?? error);
    const spec = JSON.parse(process.argv[2]) as CellSpec;
    await send({ type: 'result', result: emptyResult(spec, 'failed', describeError(error)) });
    process.exit(1);
  },
);
