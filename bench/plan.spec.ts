import { describe, expect, it } from '@jest/globals';
import { buildPlan, estimateSeconds, matrixCells, rotate, type PlanOptions } from './plan.js';

const options = (o: Partial<PlanOptions> = {}): PlanOptions => ({
  quick: false,
  brokers: ['127.0.0.1:9092'],
  runId: 'test',
  external: false,
  clusterSizes: [1, 3],
  workloads: new Set(['W1', 'W2', 'W3', 'W5']),
  ...o,
});

describe('rotate', () => {
  it('starts each round one peer later', () => {
    expect([1, 2, 3, 4].map((r) => rotate(['a', 'b', 'c'], r).join(''))).toEqual([
      'abc',
      'bca',
      'cab',
      'abc',
    ]);
  });
});

describe('the W1 matrix', () => {
  it('has the core cells for every peer and the scaling cells for module and Java', () => {
    const cells = matrixCells(options());
    const core = cells.filter((c) => c.group === 'core');
    expect(core).toHaveLength(8);
    // The observability cells (bench/peers/observability.ts) run beside module in one cell.
    expect(core.find((c) => c.key === '100B-1b-64p-keyless')!.peers).toEqual([
      'module',
      'kafkajs',
      'platformatic',
      'java',
      'module-bare',
      'module+metrics',
      'module+tracing',
      'module+tracing-10%',
      'module+sdk-floor',
    ]);
    expect(core.every((c) => c.rounds === 3 && !c.keyed)).toBe(true);
    expect(core[0].key).toBe('100B-1b-6p-keyless');
    expect(core[0].peers).toEqual([
      'module',
      'module+avro',
      'kafkajs',
      'platformatic',
      'client-kafka',
      'client-proxy',
      'java',
    ]);
    const plain = core.slice(1).filter((c) => c.key !== '100B-1b-64p-keyless');
    expect(plain.every((c) => c.peers.join() === 'module,kafkajs,platformatic,java')).toBe(true);
    const scale = cells.filter((c) => c.group === 'scale');
    expect(scale.map((c) => c.key)).toEqual([
      '100B-1b-256p-keyless',
      '100B-1b-6p-keyed',
      '100B-1b-256p-keyed',
      '100B-3b-256p-keyless',
      '100B-3b-6p-keyed',
      '100B-3b-256p-keyed',
    ]);
    expect(scale.every((c) => c.rounds === 2 && c.peers.join() === 'module,java')).toBe(true);
  });

  it('adds module@before next to module, and honours --peers, --cells and --rounds', () => {
    const before = matrixCells(options({ beforeDir: '/old' }));
    expect(before[2].peers).toEqual(['module', 'module@before', 'kafkajs', 'platformatic', 'java']);
    const some = matrixCells(
      options({ peers: new Set(['module', 'java']), cells: /^100B-1b-6p/, rounds: 4 }),
    );
    expect(some.map((c) => `${c.key} ${c.rounds} ${c.peers.join()}`)).toEqual([
      '100B-1b-6p-keyless 4 module,java',
      '100B-1b-6p-keyed 4 module,java',
    ]);
    const avro = matrixCells(options({ peers: new Set(['module', 'module+avro']) }));
    expect(avro.filter((c) => c.peers.includes('module+avro')).map((c) => c.key)).toEqual([
      '100B-1b-6p-keyless',
    ]);
  });

  it('runs module+semi64 only when asked, as the module in a process with a bigger young generation', () => {
    expect(matrixCells(options()).some((c) => c.peers.includes('module+semi64'))).toBe(false);
    const plan = buildPlan(
      options({
        peers: new Set(['module', 'module+semi64']),
        cells: /^100B-1b-(6|256)p-keyless/,
        rounds: 2,
        moduleDir: '/new',
        workloads: new Set(['W1']),
      }),
    );
    expect(plan.map((s) => `${s.cell} ${s.round}:${s.peer} ${(s.nodeArgs ?? []).join()}`)).toEqual([
      '100B-1b-6p-keyless 1:module ',
      '100B-1b-6p-keyless 1:module+semi64 --max-semi-space-size=64',
      '100B-1b-256p-keyless 1:module ',
      '100B-1b-256p-keyless 1:module+semi64 --max-semi-space-size=64',
      '100B-1b-6p-keyless 2:module+semi64 --max-semi-space-size=64',
      '100B-1b-6p-keyless 2:module ',
      '100B-1b-256p-keyless 2:module+semi64 --max-semi-space-size=64',
      '100B-1b-256p-keyless 2:module ',
    ]);
    expect(plan.every((s) => s.moduleDir === '/new')).toBe(true);
  });
});

describe('buildPlan', () => {
  const plan = buildPlan(options({ beforeDir: '/old', moduleDir: '/new' }));
  const w1 = plan.filter((s) => s.workload === 'W1');

  it('runs every peer of a cell once per round, round by round, peers rotated', () => {
    const cell = w1.filter((s) => s.cell === '100B-1b-6p-keyless');
    expect(cell.map((s) => `${s.round}:${s.peer}`)).toEqual([
      '1:module',
      '1:module+avro',
      '1:module@before',
      '1:kafkajs',
      '1:platformatic',
      '1:client-kafka',
      '1:client-proxy',
      '1:java',
      '2:module+avro',
      '2:module@before',
      '2:kafkajs',
      '2:platformatic',
      '2:client-kafka',
      '2:client-proxy',
      '2:java',
      '2:module',
      '3:module@before',
      '3:kafkajs',
      '3:platformatic',
      '3:client-kafka',
      '3:client-proxy',
      '3:java',
      '3:module',
      '3:module+avro',
    ]);
    // Round 2 starts only after round 1 of every cell of the cluster.
    const firstRound2 = w1.findIndex((s) => s.round === 2);
    const lastRound1On1Broker = w1
      .map((s) => s.round === 1 && s.clusterSize === 1)
      .lastIndexOf(true);
    expect(firstRound2).toBeGreaterThan(lastRound1On1Broker);
  });

  it('gives every run its own topic and the same settings per peer', () => {
    expect(new Set(plan.map((s) => s.topic)).size).toBe(plan.length);
    for (const s of w1.filter((x) => x.peer.startsWith('module'))) {
      expect(s).toMatchObject({ concurrency: 1024, tuning: { lingerMs: 5, batchSize: 16384 } });
      expect(s.shape.acks).toBe(-1);
    }
    expect(w1.find((s) => s.peer === 'module')!.moduleDir).toBe('/new');
    expect(w1.find((s) => s.peer === 'module@before')!.moduleDir).toBe('/old');
    expect(w1.every((s) => s.windowMs === 10_000 && s.warmupMs === 3000)).toBe(true);
    expect(w1.filter((s) => s.clusterSize === 3).every((s) => s.replication === 3)).toBe(true);
    expect(w1.filter((s) => s.clusterSize === 1).every((s) => s.replication === 1)).toBe(true);
  });

  it('keeps W2 at one caller, W3 and W5 on the 1-broker cluster', () => {
    expect(plan[0].workload).toBe('W5');
    const c1 = plan.filter((s) => s.cell === 'latency-c1');
    expect(c1.map((s) => `${s.round}:${s.peer}`)).toEqual([
      '1:module',
      '1:kafkajs',
      '2:kafkajs',
      '2:module',
      '3:module',
      '3:kafkajs',
    ]);
    expect(c1.every((s) => s.concurrency === 1 && s.latency === true)).toBe(true);
    expect(c1.find((s) => s.peer === 'module')!.tuning.lingerMs).toBe(0);
    expect(
      plan.filter((s) => s.workload === 'W3').map((s) => `${s.peer} ${s.clusterSize}`),
    ).toEqual(['module 1']);
  });

  it('runs W6 as one transaction of 100 at a time, module, kafkajs and Java rotated', () => {
    const w6 = buildPlan(options({ workloads: new Set(['W6']) }));
    expect(w6.map((s) => `${s.round}:${s.peer}`)).toEqual([
      '1:module',
      '1:kafkajs',
      '1:java',
      '2:kafkajs',
      '2:java',
      '2:module',
      '3:java',
      '3:module',
      '3:kafkajs',
    ]);
    expect(
      w6.every(
        (s) =>
          s.transactional &&
          s.mode === 'batch' &&
          s.batch === 100 &&
          s.concurrency === 1 &&
          s.clusterSize === 1 &&
          s.shape.size === 1024 &&
          s.cell === 'tx-1KiB-1b-6p-keyless',
      ),
    ).toBe(true);
  });

  it('estimates the full run at 35-48 minutes on this machine (3 of them the observability cells), the quick one far less', () => {
    const full = estimateSeconds(buildPlan(options()), options());
    expect(full / 60).toBeGreaterThan(25);
    expect(full / 60).toBeLessThan(48);
    const quick = estimateSeconds(buildPlan(options({ quick: true })), options({ quick: true }));
    expect(quick / 60).toBeLessThan(6);
  });
});
