import 'reflect-metadata';
import { EventMetadataAccessor } from '../../lib/metadata/event-metadata.accessor.js';
import { RecordBuilder } from '../../lib/record/record-builder.js';
import { resolveSerializer } from '../../lib/serialization/serializer-registry.js';
import { EventValidator } from '../../lib/validation/event-validator.js';
import { eventClass, loadModule, type BenchEventBase } from '../peers/module.js';
import { PayloadFactory } from '../support/payload.js';
import type { CellResult, CellSpec, MicroRow } from '../support/types.js';
import type { Report } from './throughput.js';

const MAX_REQUEST_SIZE = 1048576;

type Step = { name: string; run: (e: BenchEventBase) => unknown };

async function pass(step: Step, events: BenchEventBase[], count: number): Promise<void> {
  const n = events.length;
  for (let i = 0; i < count; i++) {
    const r = step.run(events[i % n]);
    if (r instanceof Promise) await r;
  }
}

async function measure(
  step: Step,
  events: BenchEventBase[],
  iterations: number,
  size: number,
): Promise<MicroRow> {
  global.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pass(step, events, iterations);
  const wallUs = (performance.now() - t0) * 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    step: step.name,
    size,
    iterations,
    usPerEvent: wallUs / iterations,
    cpuUsPerEvent: (cpu.user + cpu.system) / iterations,
  };
}

/**
 * W5: CPU cost per event of the module's path before the network, measured on its building
 * blocks (no producer, no broker): the cached descriptor lookup (EventMetadataAccessor), the
 * class-validator pass (EventValidator), the @KeyedBy key, the record build (key + value
 * serialization, x-event-id header, size check: RecordBuilder), and the three together, next to
 * what a raw kafkajs user pays (JSON.stringify + Buffer.from) and the DTO's own construction.
 */
export async function runMicro(spec: CellSpec, report: Report): Promise<CellResult> {
  const iterations = spec.iterations ?? 100_000;
  const accessor = new EventMetadataAccessor();
  const validator = new EventValidator();
  const builder = new RecordBuilder(
    resolveSerializer('json'),
    resolveSerializer('string'),
    MAX_REQUEST_SIZE,
  );
  const lib = await loadModule();
  const cases: Array<{ size: number; step: Step; events: BenchEventBase[] }> = [];
  for (const size of [100, 1024]) {
    const Event = eventClass(lib, `bench-micro-${size}`, true);
    const factory = new PayloadFactory(size);
    const events = Array.from({ length: 4096 }, (_, i) =>
      Object.assign(new Event(), factory.fields(i)),
    );
    const descriptor = accessor.get(Event);
    const key = descriptor.key!;
    const steps: Step[] = [
      { name: 'new DTO (Object.assign into the class)', run: (e) => Object.assign(new Event(), e) },
      { name: 'descriptor lookup (accessor.get, cached)', run: (e) => accessor.get(e.constructor) },
      { name: 'validate (class-validator)', run: (e) => validator.validate(e, 'BenchEvent') },
      { name: 'key (@KeyedBy extractor)', run: (e) => key(e) },
      {
        name: 'build record (key, JSON value, headers, x-event-id, size)',
        run: (e) => builder.fromEvent(e, descriptor),
      },
      {
        name: 'whole path: lookup + validate + build',
        run: async (e) => {
          const d = accessor.get(e.constructor);
          await validator.validate(e, d.className);
          return builder.fromEvent(e, d);
        },
      },
      {
        name: 'whole path without validation: lookup + build',
        run: (e) => builder.fromEvent(e, accessor.get(e.constructor)),
      },
      {
        name: 'raw kafkajs user: JSON.stringify + Buffer.from',
        run: (e) => Buffer.from(JSON.stringify(e)),
      },
    ];
    for (const step of steps) cases.push({ size, step, events });
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Warm every case first, so no step is measured while the JIT is still busy with another.
  const warm = Math.max(5000, iterations >> 2);
  for (const c of cases) await pass(c.step, c.events, warm);
  const rows: MicroRow[] = [];
  for (const [i, c] of cases.entries()) {
    rows.push(await measure(c.step, c.events, iterations, c.size));
    report(i + 1, cases.length);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    id: spec.id,
    spec,
    status: 'ok',
    records: 0,
    seconds,
    msgPerSec: 0,
    mibPerSec: 0,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    cpuUsPerRecord: 0,
    peakRssMiB: process.memoryUsage.rss() / (1024 * 1024),
    errors: 0,
    micro: rows,
  };
}
