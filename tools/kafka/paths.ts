import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const PACKAGE_NAME = 'nestjs-kafka-producer';

/**
 * Finds the repository root: the nearest folder, walking up from this module and then from the
 * working directory, whose package.json is named `nestjs-kafka-producer`. Works from the source
 * tree (ts-jest), from `.build/` (compiled CLI) and from any working directory.
 */
export function repoRoot(): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const pkg = join(dir, 'package.json');
      if (existsSync(pkg) && readPackageName(pkg) === PACKAGE_NAME) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(`Cannot find the ${PACKAGE_NAME} repository root from ${starts.join(' or ')}`);
}

function readPackageName(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

/** Folder holding this harness' non-TypeScript files (pom.xml, log4j2 configs, Java sources). */
export function kafkaToolsDir(): string {
  return join(repoRoot(), 'tools', 'kafka');
}

/** Folder the Kafka jars are copied to (git-ignored). */
export function kafkaLibDir(): string {
  return join(repoRoot(), '.kafka', 'lib');
}

/** The `java` executable: `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` on PATH. */
export function javaBin(): string {
  const home = process.env.JAVA_HOME;
  const candidate = home ? join(home, 'bin', 'java') : undefined;
  return candidate && existsSync(candidate) ? candidate : 'java';
}

function jarsPresent(dir: string): boolean {
  if (!existsSync(dir)) return false;
  const jars = readdirSync(dir);
  const has = (prefix: string) => jars.some((f) => f.startsWith(prefix) && f.endsWith('.jar'));
  return has('kafka_2.13-') && has('kafka-tools-') && has('kafka-clients-') && has('log4j-core-');
}

let pending: Promise<string> | undefined;

/**
 * Makes sure the Apache Kafka jars are in `.kafka/lib` and returns the Java classpath
 * (`<repo>/.kafka/lib/*`). When the folder is missing or incomplete (no `kafka_2.13-*.jar`,
 * `kafka-tools-*`, `kafka-clients-*` or `log4j-core-*` jar) it runs
 * `mvn dependency:copy-dependencies` on tools/kafka/pom.xml once (about 5 s with a warm
 * ~/.m2, longer on a fresh machine); concurrent callers share that one run.
 */
export function ensureKafkaJars(): Promise<string> {
  const dir = kafkaLibDir();
  const classpath = join(dir, '*');
  if (jarsPresent(dir)) return Promise.resolve(classpath);
  pending ??= copyJars(dir).then(
    () => classpath,
    (err: unknown) => {
      pending = undefined;
      throw err;
    },
  );
  return pending;
}

async function copyJars(dir: string): Promise<void> {
  const args = [
    '-q',
    '-B',
    '-f',
    join(kafkaToolsDir(), 'pom.xml'),
    'dependency:copy-dependencies',
    `-DoutputDirectory=${dir}`,
    '-DincludeScope=runtime',
  ];
  try {
    await promisify(execFile)('mvn', args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `mvn ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
  }
  if (!jarsPresent(dir)) throw new Error(`mvn ran but ${dir} still lacks the Kafka jars`);
}
