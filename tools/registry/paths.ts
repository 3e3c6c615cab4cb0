import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../kafka/paths.js';

/** The Apicurio Registry release the harness runs (tools/registry/pom.xml pins the same). */
export const APICURIO_VERSION = '3.3.3';

/** Folder the registry, the reader's jars and protoc are fetched into (git-ignored). */
export function registryDir(): string {
  return join(repoRoot(), '.registry');
}

/** Where the fetched files are. */
export interface RegistryFiles {
  /** The unpacked Quarkus app: run `java -jar <appDir>/quarkus-run.jar`. */
  readonly appDir: string;
  /** Avro, protobuf-java and their dependencies, for the Java wire reader (`<dir>/*`). */
  readonly libDir: string;
  /** Google's protoc, for the reader to compile `.proto` schemas into descriptors. */
  readonly protoc: string;
}

function files(): RegistryFiles {
  const dir = registryDir();
  return {
    appDir: join(dir, `apicurio-registry-${APICURIO_VERSION}`),
    libDir: join(dir, 'lib'),
    protoc: join(dir, 'protoc'),
  };
}

function present(f: RegistryFiles): boolean {
  if (!existsSync(join(f.appDir, 'quarkus-run.jar')) || !existsSync(f.protoc)) return false;
  const jars = existsSync(f.libDir) ? readdirSync(f.libDir) : [];
  return ['avro-', 'protobuf-java-', 'jackson-databind-'].every((p) =>
    jars.some((j) => j.startsWith(p)),
  );
}

/** protoc's Maven classifier for this machine. */
function protocClassifier(): string {
  if (process.platform !== 'linux')
    throw new Error(`the registry harness runs on Linux, not ${process.platform}`);
  return process.arch === 'arm64' ? 'linux-aarch_64' : 'linux-x86_64';
}

let pending: Promise<RegistryFiles> | undefined;

/**
 * Makes sure Apicurio Registry and the Java reader's files are in `.registry/`: when any is
 * missing it runs `mvn dependency:copy-dependencies` on tools/registry/pom.xml once (the app
 * is a 160 MB tar.gz from Maven Central: a minute or so on a fresh machine, seconds with a
 * warm ~/.m2), unpacks the app and makes protoc executable. Concurrent callers share one run.
 */
export function ensureRegistryFiles(): Promise<RegistryFiles> {
  const f = files();
  if (present(f)) return Promise.resolve(f);
  pending ??= fetch(f).then(
    () => f,
    (error: unknown) => {
      pending = undefined;
      throw error;
    },
  );
  return pending;
}

async function fetch(f: RegistryFiles): Promise<void> {
  const run = promisify(execFile);
  const download = join(registryDir(), 'download');
  rmSync(download, { recursive: true, force: true });
  const args = [
    '-q',
    '-B',
    '-f',
    join(repoRoot(), 'tools', 'registry', 'pom.xml'),
    'dependency:copy-dependencies',
    `-DoutputDirectory=${download}`,
    '-DincludeScope=runtime',
    `-Dprotoc.classifier=${protocClassifier()}`,
  ];
  try {
    await run('mvn', args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `mvn ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
  }
  const fetched = readdirSync(download);
  const tarball = fetched.find(
    (n) => n.startsWith('apicurio-registry-app-') && n.endsWith('.tar.gz'),
  );
  const protoc = fetched.find((n) => n.startsWith('protoc-') && n.endsWith('.exe'));
  if (!tarball || !protoc)
    throw new Error(`mvn ran but ${download} lacks the registry tar.gz or protoc`);
  rmSync(f.appDir, { recursive: true, force: true });
  mkdirSync(f.appDir, { recursive: true });
  await run('tar', ['-xzf', join(download, tarball), '-C', f.appDir]);
  rmSync(f.libDir, { recursive: true, force: true });
  mkdirSync(f.libDir, { recursive: true });
  for (const name of fetched.filter((n) => n.endsWith('.jar'))) {
    renameSync(join(download, name), join(f.libDir, name));
  }
  renameSync(join(download, protoc), f.protoc);
  chmodSync(f.protoc, 0o755);
  rmSync(download, { recursive: true, force: true });
  if (!present(f)) throw new Error(`the registry files in ${registryDir()} are still incomplete`);
}
