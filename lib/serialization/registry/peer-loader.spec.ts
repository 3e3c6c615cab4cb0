import { ConfigurationError } from '../../errors/configuration.error.js';
import { avroFormat } from './avro.format.js';
import { jsonSchemaFormat } from './json-schema.format.js';
import { AVSC, loadPeer, type PeerRequire } from './peer-loader.js';
import { protobufFormat } from './protobuf.format.js';

/** A require that behaves as Node's does when a package is not installed. */
const notInstalled: PeerRequire = (id) => {
  const error = new Error(`Cannot find module '${id}'`) as Error & { code: string };
  error.code = 'MODULE_NOT_FOUND';
  throw error;
};

describe('optional peers', () => {
  it('loads an installed package', () => {
    expect(typeof loadPeer<{ Type: unknown }>('avro', AVSC).Type).toBe('function');
  });

  it('a missing package is a ConfigurationError naming it, its range and the install command', () => {
    const cases: [() => unknown, RegExp][] = [
      [
        () => avroFormat(notInstalled).compile('"string"'),
        /"avsc" \(\^5\.7\.0\).*npm install avsc@\^5\.7\.0/,
      ],
      [
        () => protobufFormat(undefined, notInstalled).compile('syntax = "proto3"; message A {}'),
        /"protobufjs" \(\^7\.2\.5 \|\| \^8\.0\.0\)/,
      ],
      [() => jsonSchemaFormat(notInstalled).compile('{"type":"object"}'), /"ajv" \(\^8\.12\.0\)/],
    ];
    for (const [load, message] of cases) {
      expect(load).toThrow(ConfigurationError);
      expect(load).toThrow(message);
    }
  });

  it('a package that fails to load for another reason says why', () => {
    const broken: PeerRequire = () => {
      throw new Error('Unexpected token');
    };
    expect(() => avroFormat(broken).compile('"string"')).toThrow(
      /could not load "avsc": Unexpected token/,
    );
  });
});
