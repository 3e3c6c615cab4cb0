import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The Java major version Apicurio Registry 3.x needs (its classes are version 65). */
export const REGISTRY_JAVA_MAJOR = 21;

/** Folders where JDKs are usually installed (Debian/Ubuntu packages, Temurin, SDKMAN, images). */
const JDK_FOLDERS = [
  '/usr/lib/jvm',
  '/opt/java',
  '/usr/local/lib/jvm',
  '/opt',
  `${process.env.HOME ?? ''}/.sdkman/candidates/java`,
];

/** A Java installation: its `bin/java` and major version. */
export interface JavaInstall {
  readonly bin: string;
  readonly major: number;
  readonly from: string;
}

/** The major version in `JAVA_VERSION="25.0.1"`, `"17.0.15"`, or the old `"1.8.0_392"`. */
export function parseJavaMajor(text: string): number | undefined {
  const match = text.match(/(?:JAVA_VERSION=|version )"(\d+)(?:\.(\d+))?/);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

function fromHome(home: string, from: string): JavaInstall | undefined {
  const bin = join(home, 'bin', 'java');
  if (!existsSync(bin)) return undefined;
  const release = join(home, 'release');
  let major = existsSync(release) ? parseJavaMajor(readFileSync(release, 'utf8')) : undefined;
  major ??= versionOf(bin);
  return major === undefined ? undefined : { bin, major, from };
}

/** The major version `java -version` reports (on stderr), or undefined when it does not run. */
function versionOf(bin: string): number | undefined {
  const run = spawnSync(bin, ['-version'], { encoding: 'utf8', timeout: 20000 });
  return run.error ? undefined : parseJavaMajor(`${run.stderr}${run.stdout}`);
}

/** Every Java that can be found, in the order they are tried. */
export function javaCandidates(): JavaInstall[] {
  const found: JavaInstall[] = [];
  const add = (install: JavaInstall | undefined) => {
    if (install && !found.some((f) => f.bin === install.bin)) found.push(install);
  };
  for (const name of ['SCHEMA_REGISTRY_JAVA_HOME', 'JAVA_HOME']) {
    const home = process.env[name];
    if (home) add(fromHome(home, `${name}=${home}`));
  }
  for (const folder of JDK_FOLDERS) {
    if (!existsSync(folder)) continue;
    const homes = readdirSync(folder)
      .filter((d) => /jdk|java|jre|temurin|openjdk/i.test(d))
      .sort()
      .reverse();
    for (const dir of homes) add(fromHome(join(folder, dir), join(folder, dir)));
  }
  const onPath = probePath();
  if (onPath) add(onPath);
  return found;
}

/** `java` on PATH, if any. */
function probePath(): JavaInstall | undefined {
  const major = versionOf('java');
  return major === undefined ? undefined : { bin: 'java', major, from: 'java on PATH' };
}

/**
 * A Java 21+ for Apicurio Registry: SCHEMA_REGISTRY_JAVA_HOME, then JAVA_HOME, then the JDK
 * folders (`/usr/lib/jvm/*`, `/opt/java/*`…), newest name first, then `java` on PATH. Throws
 * an error that lists what was found and how to get one when none is 21 or newer.
 */
export function findRegistryJava(candidates: JavaInstall[] = javaCandidates()): JavaInstall {
  const fit = candidates.find((c) => c.major >= REGISTRY_JAVA_MAJOR);
  if (fit) return fit;
  const seen = candidates.length
    ? candidates.map((c) => `${c.from} (Java ${c.major})`).join(', ')
    : 'no Java at all';
  throw new Error(
    `Apicurio Registry needs Java ${REGISTRY_JAVA_MAJOR} or newer, and this machine has ${seen}. ` +
      `Install one (a Temurin 21/25 JDK, or \`apt-get install openjdk-21-jre-headless\` where ` +
      `the distribution has it) and point SCHEMA_REGISTRY_JAVA_HOME (or JAVA_HOME) at it, or ` +
      `set SCHEMA_REGISTRY_URL to a registry that already runs.`,
  );
}
