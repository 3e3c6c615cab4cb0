import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, sleep } from '../kafka/os-utils.js';
import { repoRoot } from '../kafka/paths.js';

/** Where Debian's prometheus package is unpacked (git-ignored). */
export function prometheusHome(): string {
  return join(repoRoot(), '.prometheus');
}

/**
 * The path of the prometheus binary: Debian's `prometheus` package, fetched with
 * `apt-get download` (after an `apt-get update` if the package lists are empty) and unpacked
 * with `dpkg-deb -x` into .prometheus/ the first time; nothing is installed system-wide.
 */
export function ensurePrometheus(): string {
  const home = prometheusHome();
  const binary = join(home, 'root', 'usr', 'bin', 'prometheus');
  if (existsSync(binary)) return binary;
  const debs = join(home, 'debs');
  mkdirSync(debs, { recursive: true });
  const download = () =>
    execFileSync('apt-get', ['download', 'prometheus'], { cwd: debs, stdio: 'pipe' });
  try {
    download();
  } catch {
    execFileSync('apt-get', ['update'], { stdio: 'pipe' });
    download();
  }
  const deb = readdirSync(debs).find((f) => /^prometheus_.*\.deb$/.test(f));
  if (!deb) throw new Error(`apt-get download prometheus left no .deb in ${debs}`);
  execFileSync('dpkg-deb', ['-x', join(debs, deb), join(home, 'root')], { stdio: 'pipe' });
  if (!existsSync(binary)) throw new Error(`no prometheus binary in ${deb}`);
  return binary;
}

/** A Prometheus server started by a test. */
export interface RunningPrometheus {
  /** Its HTTP API's base URL (http://127.0.0.1:port). */
  readonly url: string;
  /** Runs a PromQL instant query; the result vector's samples. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus on a free loopback port, scraping `target` (host:port, path /metrics)
 * every `scrapeIntervalMs`, with its data in a temporary folder removed on stop.
 */
export async function startPrometheus(
  target: string,
  scrapeIntervalMs = 1000,
): Promise<RunningPrometheus> {
  const binary = ensurePrometheus();
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(prometheusHome(), 'run-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      `  scrape_interval: ${scrapeIntervalMs}ms`,
      `  evaluation_interval: ${scrapeIntervalMs}ms`,
      'scrape_configs:',
      '  - job_name: app',
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not start:\n${log}`);
    }
    await sleep(100);
  }
  return {
    url,
    stop,
    async query(promql: string) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as {
        status: string;
        data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
        error?: string;
      };
      if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${body.error}`);
      return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
  };
}
