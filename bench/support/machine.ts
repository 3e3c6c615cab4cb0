import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { javaBin } from '../../tools/kafka/paths.js';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
}

export interface Versions {
  node: string;
  kafkajs?: string;
  kafka?: string;
  java?: string;
  nestCore?: string;
  nestMicroservices?: string;
  platformaticKafka?: string;
  hdrHistogramJs?: string;
  typescript?: string;
  gitCommit?: string;
  gitDirty?: boolean;
}

function packageVersion(root: string, name: string): string | undefined {
  try {
    const file = join(root, 'node_modules', ...name.split('/'), 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function cpuModel(): string {
  const model = cpus()[0]?.model?.trim();
  if (model && model.length > 0) return model;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  let os = `${process.platform} ${process.arch}`;
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    os = /PRETTY_NAME="([^"]+)"/.exec(release)?.[1] ?? os;
  } catch {
    // not Linux
  }
  return {
    cores: cpus().length,
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os,
  };
}

function run(cmd: string, args: string[], cwd: string): string | undefined {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return undefined;
  }
}

export function versions(root: string): Versions {
  const libDir = join(root, '.kafka', 'lib');
  const kafkaJar = existsSync(libDir)
    ? readdirSync(libDir).find((f) => /^kafka_2\.13-.*\.jar$/.test(f))
    : undefined;
  // `java -version` prints to stderr.
  const java = run('sh', ['-c', `"${javaBin()}" -version 2>&1 | head -1`], root)?.trim();
  const status = run('git', ['status', '--porcelain', '--', 'lib'], root);
  return {
    node: process.version,
    kafkajs: packageVersion(root, 'kafkajs'),
    kafka: kafkaJar?.replace(/^kafka_2\.13-/, '').replace(/\.jar$/, ''),
    java,
    nestCore: packageVersion(root, '@nestjs/core'),
    nestMicroservices: packageVersion(root, '@nestjs/microservices'),
    platformaticKafka: packageVersion(root, '@platformatic/kafka'),
    hdrHistogramJs: packageVersion(root, 'hdr-histogram-js'),
    typescript: packageVersion(root, 'typescript'),
    gitCommit: run('git', ['rev-parse', '--short', 'HEAD'], root)?.trim(),
    gitDirty: status === undefined ? undefined : status.trim().length > 0,
  };
}
