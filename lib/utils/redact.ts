/** What a redacted value is shown as. */
export const REDACTED = '[redacted]';

/**
 * Field names whose values are secrets, lower case: kafkajs's `sasl` (SCRAM/PLAIN passwords,
 * AWS IAM keys) and `ssl` (tls.connect's private key, certificates, PKCS12 and passphrase)
 * options, and the SASL bytes kafkajs logs at debug level.
 */
const SECRET_FIELDS = new Set([
  'password',
  'passphrase',
  'key',
  'cert',
  'ca',
  'pfx',
  'token',
  'accesskeyid',
  'secretaccesskey',
  'sessiontoken',
  'authbytes',
  'saslauthbytes',
  'authorization',
]);

/** A PEM block (a private key, a certificate) anywhere in a string. */
const PEM = /-----BEGIN [^-]+-----[\s\S]*?(?:-----END [^-]+-----|$)/g;

/** `text` with every PEM block replaced by {@link REDACTED}. */
export function redactText(text: string): string {
  return text.replace(PEM, REDACTED);
}

/**
 * A copy of `value` that is safe to log: the values of secret fields (see SECRET_FIELDS),
 * PEM blocks and byte buffers are replaced, functions become `[function]` (their source may
 * hold a token), and instances of classes other than Object, Array and Date become
 * `[ClassName]` (a store or a client may hold a connection string). Cycles and depth past
 * 6 levels are cut.
 */
export function redact(value: unknown): unknown {
  return walk(value, 0, new WeakSet<object>());
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'function') return '[function]';
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return value.toISOString();
  if (seen.has(value)) return '[circular]';
  if (depth >= 6) return '[…]';
  const proto: unknown = Object.getPrototypeOf(value);
  const plain = Array.isArray(value) || proto === Object.prototype || proto === null;
  if (!plain && !(value instanceof Error)) return `[${value.constructor?.name ?? 'object'}]`;
  // `seen` holds the objects above this one: one shared twice is shown twice, a cycle is cut.
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(value)) {
      const secret = SECRET_FIELDS.has(name.toLowerCase()) && field !== undefined;
      out[name] = secret && typeof field !== 'boolean' ? REDACTED : walk(field, depth + 1, seen);
    }
    if (value instanceof Error) {
      out.name = value.name;
      out.message = redactText(value.message);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
