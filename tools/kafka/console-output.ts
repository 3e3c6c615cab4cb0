import { randomBytes } from 'node:crypto';

/** One record as printed by Kafka's console consumer (DefaultMessageFormatter). */
export interface ConsoleRecord {
  partition: number;
  offset: string;
  /** Record timestamp in ms as text, or null when the record had none. */
  timestamp: string | null;
  /** `CreateTime` or `LogAppendTime`, or null when the record had no timestamp. */
  timestampType: string | null;
  /** Deserialized key text; lowercase hex for the byte-array mode; null for a null key. */
  key: string | null;
  /** Deserialized value text; lowercase hex for the byte-array mode; null for a null value. */
  value: string | null;
  /** Header values as UTF-8 text (a null header value reads as ''); the last one wins per key. */
  headers: Record<string, string>;
}

/**
 * Separators and null literal for one console-consumer run. Each embeds a random nonce so that
 * no key, value or header can contain one by accident; all are ASCII, so neither the JVM's
 * argument charset nor UTF-8 re-encoding can alter them.
 */
export interface ConsoleTokens {
  field: string;
  line: string;
  header: string;
  nullLiteral: string;
}

/** Fresh {@link ConsoleTokens} for one run. */
export function consoleTokens(): ConsoleTokens {
  const n = randomBytes(8).toString('hex');
  return { field: `~F${n}~`, line: `~L${n}~\n`, header: `~H${n}~`, nullLiteral: `~N${n}~` };
}

/** The formatter properties matching {@link parseConsoleOutput}. */
export function formatterProperties(t: ConsoleTokens): Record<string, string> {
  return {
    'print.timestamp': 'true',
    'print.partition': 'true',
    'print.offset': 'true',
    'print.headers': 'true',
    'print.key': 'true',
    'print.value': 'true',
    'key.separator': t.field,
    'line.separator': t.line,
    'headers.separator': t.header,
    'null.literal': t.nullLiteral,
  };
}

function split(buf: Buffer, sep: string): Buffer[] {
  const needle = Buffer.from(sep);
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = buf.indexOf(needle, from); at >= 0; at = buf.indexOf(needle, from)) {
    parts.push(buf.subarray(from, at));
    from = at + needle.length;
  }
  parts.push(buf.subarray(from));
  return parts;
}

function prefixed(field: Buffer, prefix: string): string {
  const text = field.toString('utf8');
  if (!text.startsWith(prefix)) throw new Error(`expected "${prefix}..." but got "${text}"`);
  return text.slice(prefix.length);
}

/**
 * Parses the stdout of DefaultMessageFormatter as configured by {@link formatterProperties}:
 * `<tsType>:<ts>|Partition:<p>|Offset:<o>|<headers>|<key>|<value><line>` where `|` is the field
 * token, headers are `k:v` joined by the header token or `NO_HEADERS`, and timestamps without a
 * type print `NO_TIMESTAMP`. A key or value marked raw (no deserializer configured) is printed as
 * the record's bytes and returned as hex.
 */
export function parseConsoleOutput(
  stdout: Buffer,
  t: ConsoleTokens,
  raw: { key?: boolean; value?: boolean } = {},
): ConsoleRecord[] {
  const lines = split(stdout, t.line);
  const last = lines.pop();
  if (last && last.length > 0) throw new Error(`unterminated console output: ${last.toString()}`);
  return lines.map((line, i) => {
    const f = split(line, t.field);
    if (f.length !== 6) throw new Error(`record #${i} has ${f.length} fields: ${line.toString()}`);
    const [ts, partition, offset, headers, key, value] = f;
    const tsText = ts.toString('utf8');
    const colon = tsText.indexOf(':');
    const data = (b: Buffer, hex?: boolean) =>
      b.toString('utf8') === t.nullLiteral ? null : b.toString(hex ? 'hex' : 'utf8');
    return {
      partition: Number(prefixed(partition, 'Partition:')),
      offset: prefixed(offset, 'Offset:'),
      timestamp: colon < 0 ? null : tsText.slice(colon + 1),
      timestampType: colon < 0 ? null : tsText.slice(0, colon),
      headers: parseHeaders(headers, t),
      key: data(key, raw.key),
      value: data(value, raw.value),
    };
  });
}

function parseHeaders(field: Buffer, t: ConsoleTokens): Record<string, string> {
  const headers: Record<string, string> = {};
  if (field.toString('utf8') === 'NO_HEADERS') return headers;
  for (const entry of split(field, t.header)) {
    const colon = entry.indexOf(':'.charCodeAt(0));
    if (colon < 0) throw new Error(`header without ':': ${entry.toString()}`);
    const value = entry.subarray(colon + 1).toString('utf8');
    headers[entry.subarray(0, colon).toString('utf8')] = value === t.nullLiteral ? '' : value;
  }
  return headers;
}
