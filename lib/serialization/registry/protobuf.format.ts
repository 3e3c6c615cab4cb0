import { ConfigurationError } from '../../errors/configuration.error.js';
import type { SchemaViolation } from '../../errors/schema-mismatch.error.js';
import { describeValue } from '../describe-value.js';
import { loadPeer, PROTOBUFJS, type PeerRequire } from './peer-loader.js';
import { verifyMessage, type PbType } from './protobuf-verify.js';
import { RegistryMessages } from './registry.messages.js';
import { SchemaViolations, type CompiledSchema, type SchemaFormat } from './schema-format.js';

/** The part of protobufjs this format uses. */
interface PbReflection {
  readonly name: string;
  readonly fullName: string;
  readonly parent: PbReflection | null;
  readonly nestedArray: readonly PbReflection[];
}
interface PbMessageType extends PbReflection, PbType {
  readonly fieldsArray: PbType['fieldsArray'];
  fromObject(value: Record<string, unknown>): unknown;
  encode(message: unknown): { finish(): Uint8Array };
}
interface PbRoot extends PbReflection {
  lookup(path: string): PbReflection | null;
  resolveAll(): PbRoot;
}
interface Protobufjs {
  parse(source: string): {
    package?: string;
    imports?: string[];
    weakImports?: string[];
    root: PbRoot;
  };
  Type: abstract new (...args: never[]) => PbMessageType;
}

const fail = (reason: string) =>
  new ConfigurationError(RegistryMessages.badSchema('protobuf', reason));

/** Every message type of the file, nested ones too, by full name (for the not-found message). */
function allTypes(pb: Protobufjs, scope: PbReflection): string[] {
  return scope.nestedArray.flatMap((n) =>
    n instanceof pb.Type
      ? [n.fullName.slice(1), ...allTypes(pb, n)]
      : 'nestedArray' in n && n.nestedArray
        ? allTypes(pb, n)
        : [],
  );
}

/** The message types directly in `scope`, in declaration order: what the indexes count. */
function messagesIn(pb: Protobufjs, scope: PbReflection): PbMessageType[] {
  return (scope.nestedArray ?? []).filter((n): n is PbMessageType => n instanceof pb.Type);
}

/** The path of `type` in its file: `[i]` for the i-th top-level message, then nested positions. */
function indexesOf(pb: Protobufjs, type: PbMessageType, file: PbReflection): number[] {
  const path: number[] = [];
  for (let at: PbReflection = type; at !== file; at = at.parent!) {
    const parent = at.parent!;
    // protoc adds a nested entry type for each map field, in declaration order: with maps in
    // the parent, the position among its nested types cannot be known from protobufjs.
    if (parent instanceof pb.Type && parent.fieldsArray.some((f) => f.map)) {
      throw new ConfigurationError(RegistryMessages.mapSibling(type.fullName.slice(1)));
    }
    path.unshift(messagesIn(pb, parent).indexOf(at as PbMessageType));
  }
  return path;
}

/**
 * Protobuf with protobufjs: the schema is one `.proto` file's text (no imports), the message
 * type the first one of the file unless `messageType` names another; field names are
 * protobufjs's camelCase (`order_id` is `orderId`). Values are checked field by field
 * (protobuf-verify.ts), then written with `fromObject` (enum names, 64-bit strings) and `encode`.
 */
export function protobufFormat(messageType?: string, load?: PeerRequire): SchemaFormat {
  return {
    serializer: 'protobuf',
    schemaType: 'PROTOBUF',
    text(schema) {
      if (typeof schema !== 'string')
        throw fail(`expected the text of a .proto file, got ${describeValue(schema)}`);
      return schema;
    },
    compile(text): CompiledSchema {
      const pb = loadPeer<Protobufjs>('protobuf', PROTOBUFJS, PROTOBUFJS.name, load);
      let parsed: ReturnType<Protobufjs['parse']>;
      try {
        parsed = pb.parse(text);
        parsed.root.resolveAll();
      } catch (error) {
        throw fail(error instanceof Error ? error.message : String(error));
      }
      const imports = [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])];
      if (imports.length > 0)
        throw fail(`it imports ${imports.join(', ')}; only self-contained files are supported`);
      const file = parsed.package ? parsed.root.lookup(parsed.package)! : parsed.root;
      const type = pickType(pb, parsed.root, file, parsed.package, messageType);
      const messageIndexes = indexesOf(pb, type, file);
      return {
        recordName: type.fullName.slice(1),
        messageIndexes,
        encode(value) {
          const violations: SchemaViolation[] = [];
          if (typeof value !== 'object' || value === null || Array.isArray(value)) {
            violations.push({
              path: '(root)',
              reason: `expected a ${type.fullName.slice(1)} message, got ${describeValue(value)}`,
            });
          } else {
            verifyMessage(type, value as Record<string, unknown>, '', violations);
          }
          if (violations.length > 0) throw new SchemaViolations(violations);
          const bytes = type.encode(type.fromObject(value as Record<string, unknown>)).finish();
          return Buffer.isBuffer(bytes)
            ? bytes
            : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
        },
      };
    },
  };
}

function pickType(
  pb: Protobufjs,
  root: PbRoot,
  file: PbReflection,
  pkg: string | undefined,
  name: string | undefined,
): PbMessageType {
  if (name === undefined) {
    const first = messagesIn(pb, file)[0];
    if (!first) throw fail('the file declares no message type');
    return first;
  }
  const bare = name.replace(/^\./, '');
  const candidates = pkg && !bare.startsWith(`${pkg}.`) ? [`${pkg}.${bare}`, bare] : [bare];
  for (const candidate of candidates) {
    const found = root.lookup(candidate);
    if (found instanceof pb.Type) return found;
  }
  throw new ConfigurationError(RegistryMessages.noMessageType(name, allTypes(pb, file)));
}
