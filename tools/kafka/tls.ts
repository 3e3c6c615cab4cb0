import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { runJava } from './java.js';
import { kafkaToolsDir } from './paths.js';

/** A certificate authority made by {@link KeytoolPlan.certificateAuthority}. */
export interface CertificateAuthority {
  /** `CN` of the CA certificate. */
  readonly name: string;
  /** PKCS12 keystore holding the CA's private key (alias `ca`). */
  readonly keystore: string;
  readonly password: string;
  /** The CA certificate as PEM, what a client puts in `ssl.ca`. */
  readonly pemFile: string;
}

/** A PKCS12 keystore with a private key and its certificate chain (leaf, then CA). */
export interface SignedKeystore {
  readonly file: string;
  readonly password: string;
  /** The leaf certificate as PEM. */
  readonly certificateFile: string;
}

/** What {@link KeytoolPlan.signedKeystore} puts in the certificate. */
export interface CertificateSpec {
  /** Keystore alias and file name prefix. */
  readonly alias: string;
  /** `CN` of the subject. */
  readonly commonName: string;
  /** subjectAltName entries: names, and IP addresses as `ip:1.2.3.4`. Default none. */
  readonly subjectAltNames?: readonly string[];
  /** extendedKeyUsage. Default `serverAuth`. */
  readonly extendedKeyUsage?: 'serverAuth' | 'clientAuth';
}

const VALIDITY_DAYS = '30';
const KEY = ['-keyalg', 'EC', '-groupname', 'secp256r1'];

/** A random password for a keystore (hex: no character keytool or a properties file treats specially). */
export function randomPassword(): string {
  return randomBytes(12).toString('hex');
}

/**
 * keytool commands to run together in one JVM (tools/kafka/Keytool.java): add CAs and the
 * keystores they sign, then {@link run}. The files exist once `run` resolves. Keys are EC
 * P-256, certificates valid 30 days.
 */
export class KeytoolPlan {
  private readonly commands: string[][] = [];

  /** A self-signed CA in `dir`: `<file>.p12` (for signing) and its certificate, `<file>.pem`. */
  certificateAuthority(dir: string, name = 'kafka-harness-ca', file = 'ca'): CertificateAuthority {
    const ca = {
      name,
      keystore: join(dir, `${file}.p12`),
      password: randomPassword(),
      pemFile: join(dir, `${file}.pem`),
    };
    const store = ['-keystore', ca.keystore, '-storetype', 'PKCS12', '-storepass', ca.password];
    this.commands.push(
      [
        '-genkeypair',
        '-alias',
        'ca',
        ...KEY,
        '-dname',
        `CN=${name}`,
        '-ext',
        'bc:c',
        '-validity',
        VALIDITY_DAYS,
        ...store,
      ],
      ['-exportcert', '-rfc', '-alias', 'ca', '-file', ca.pemFile, ...store],
    );
    return ca;
  }

  /**
   * A key pair in a PKCS12 keystore `<alias>.p12` in `dir` whose certificate `ca` signs (with
   * the spec's subjectAltNames and extendedKeyUsage); the keystore also holds the CA
   * certificate, so the key's chain is leaf, CA.
   */
  signedKeystore(dir: string, ca: CertificateAuthority, spec: CertificateSpec): SignedKeystore {
    const keystore = {
      file: join(dir, `${spec.alias}.p12`),
      password: randomPassword(),
      certificateFile: join(dir, `${spec.alias}.pem`),
    };
    const csr = join(dir, `${spec.alias}.csr`);
    const store = ['-keystore', keystore.file, '-storetype', 'PKCS12'];
    const own = [...store, '-storepass', keystore.password];
    const alias = ['-alias', spec.alias];
    const san = spec.subjectAltNames ?? [];
    this.commands.push(
      [
        '-genkeypair',
        ...alias,
        ...KEY,
        '-dname',
        `CN=${spec.commonName}`,
        '-validity',
        VALIDITY_DAYS,
        ...own,
      ],
      ['-certreq', ...alias, '-file', csr, ...own],
      [
        '-gencert',
        '-alias',
        'ca',
        '-keystore',
        ca.keystore,
        '-storepass',
        ca.password,
        '-infile',
        csr,
        '-outfile',
        keystore.certificateFile,
        '-rfc',
        '-validity',
        VALIDITY_DAYS,
        ...(san.length > 0
          ? ['-ext', `SAN=${san.map((n) => (n.startsWith('ip:') ? n : `dns:${n}`)).join(',')}`]
          : []),
        '-ext',
        `EKU=${spec.extendedKeyUsage ?? 'serverAuth'}`,
      ],
      // With the CA trusted in the keystore, the signed reply installs as the chain leaf, CA.
      ['-importcert', '-noprompt', '-alias', 'ca', '-file', ca.pemFile, ...own],
      ['-importcert', '-noprompt', ...alias, '-file', keystore.certificateFile, ...own],
    );
    return keystore;
  }

  /**
   * Runs the commands in order in one JVM. A short-lived JVM: C1 only and the serial GC
   * take about half the CPU of the defaults here.
   */
  async run(): Promise<void> {
    const stdin = this.commands.map((argv) => `${argv.join('\t')}\n`).join('');
    this.commands.length = 0;
    await runJava([join(kafkaToolsDir(), 'Keytool.java')], {
      stdin,
      jvmArgs: [
        '-Xmx256m',
        '-XX:TieredStopAtLevel=1',
        '-XX:+UseSerialGC',
        '--add-exports',
        'java.base/sun.security.tools.keytool=ALL-UNNAMED',
      ],
      timeoutMs: 60_000,
    });
  }
}

/** A CA of its own in `dir` (one JVM run), e.g. one that did not sign a cluster's brokers. */
export async function createCertificateAuthority(
  dir: string,
  name = 'kafka-harness-ca',
  file = 'ca',
): Promise<CertificateAuthority> {
  const plan = new KeytoolPlan();
  const ca = plan.certificateAuthority(dir, name, file);
  await plan.run();
  return ca;
}
