import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { keytoolBin } from './paths.js';

/** A certificate authority made by {@link createCertificateAuthority}. */
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

/** What {@link createSignedKeystore} puts in the certificate. */
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

async function keytool(args: string[]): Promise<void> {
  try {
    await promisify(execFile)(keytoolBin(), args, { timeout: 60_000 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    // args hold keystore passwords: name the subcommand only.
    throw new Error(`keytool ${args[0]} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

/** A random password for a keystore (hex: no character keytool or a properties file treats specially). */
export function randomPassword(): string {
  return randomBytes(12).toString('hex');
}

/**
 * Makes a self-signed CA (EC P-256, valid 30 days) with JDK `keytool` in `dir`: a PKCS12
 * keystore `<file>.p12` for signing and its certificate as PEM, `<file>.pem`. Two JVM runs.
 */
export async function createCertificateAuthority(
  dir: string,
  name = 'kafka-harness-ca',
  file = 'ca',
): Promise<CertificateAuthority> {
  const keystore = join(dir, `${file}.p12`);
  const pemFile = join(dir, `${file}.pem`);
  const password = randomPassword();
  const store = ['-keystore', keystore, '-storetype', 'PKCS12', '-storepass', password];
  await keytool([
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
  ]);
  await keytool(['-exportcert', '-rfc', '-alias', 'ca', '-file', pemFile, ...store]);
  return { name, keystore, password, pemFile };
}

/**
 * Makes a key pair in a PKCS12 keystore in `dir`, has `ca` sign its certificate (with the
 * given subjectAltNames and extendedKeyUsage, valid 30 days) and installs the signed chain
 * (leaf, CA) in the keystore. The key pair can be made while the CA is still being made:
 * pass `ca` as a promise. Four JVM runs, the first in parallel with the CA's.
 */
export async function createSignedKeystore(
  dir: string,
  ca: CertificateAuthority | Promise<CertificateAuthority>,
  spec: CertificateSpec,
): Promise<SignedKeystore> {
  const file = join(dir, `${spec.alias}.p12`);
  const csr = join(dir, `${spec.alias}.csr`);
  const certificateFile = join(dir, `${spec.alias}.pem`);
  const password = randomPassword();
  const store = ['-keystore', file, '-storetype', 'PKCS12', '-storepass', password];
  const alias = ['-alias', spec.alias];
  await keytool([
    '-genkeypair',
    ...alias,
    ...KEY,
    '-dname',
    `CN=${spec.commonName}`,
    '-validity',
    VALIDITY_DAYS,
    ...store,
  ]);
  await keytool(['-certreq', ...alias, '-file', csr, ...store]);
  const authority = await ca;
  const san = spec.subjectAltNames ?? [];
  await keytool([
    '-gencert',
    '-alias',
    'ca',
    '-keystore',
    authority.keystore,
    '-storepass',
    authority.password,
    '-infile',
    csr,
    '-outfile',
    certificateFile,
    '-rfc',
    '-validity',
    VALIDITY_DAYS,
    ...(san.length > 0
      ? ['-ext', `SAN=${san.map((n) => (n.startsWith('ip:') ? n : `dns:${n}`)).join(',')}`]
      : []),
    '-ext',
    `EKU=${spec.extendedKeyUsage ?? 'serverAuth'}`,
  ]);
  // The reply as a chain (leaf, then CA) installs without the CA being trusted in the store.
  const chain = join(dir, `${spec.alias}-chain.pem`);
  writeFileSync(
    chain,
    readFileSync(certificateFile, 'utf8') + readFileSync(authority.pemFile, 'utf8'),
  );
  await keytool(['-importcert', '-noprompt', ...alias, '-file', chain, ...store]);
  return { file, password, certificateFile };
}
