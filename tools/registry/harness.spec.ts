import { findRegistryJava, javaCandidates, parseJavaMajor } from './java21.js';

describe('the registry harness’ Java lookup', () => {
  it('reads the major version of release files and -version banners, old and new', () => {
    expect(parseJavaMajor('IMPLEMENTOR="Eclipse Adoptium"\nJAVA_VERSION="25.0.1"\n')).toBe(25);
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('JAVA_VERSION="21"')).toBe(21);
    expect(parseJavaMajor('nothing here')).toBeUndefined();
  });

  it('takes the first Java 21+, and otherwise says what it found and how to get one', () => {
    const j17 = { bin: '/j17/bin/java', major: 17, from: 'JAVA_HOME=/j17' };
    const j25 = { bin: '/j25/bin/java', major: 25, from: '/usr/lib/jvm/temurin-25' };
    expect(findRegistryJava([j17, j25])).toBe(j25);
    expect(() => findRegistryJava([j17])).toThrow(
      /needs Java 21 or newer, and this machine has JAVA_HOME=\/j17 \(Java 17\)\. Install one .*SCHEMA_REGISTRY_JAVA_HOME.*SCHEMA_REGISTRY_URL/,
    );
    expect(() => findRegistryJava([])).toThrow(/this machine has no Java at all/);
  });

  it('finds the Javas of this machine, each with its version', () => {
    const found = javaCandidates();
    expect(found.length).toBeGreaterThan(0);
    for (const java of found) expect(java.major).toBeGreaterThanOrEqual(8);
  });
});
