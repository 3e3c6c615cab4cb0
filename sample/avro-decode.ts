import { createRequire } from 'node:module';

interface AvroType {
  fromBuffer(bytes: Buffer): unknown;
}
const avsc = createRequire(import.meta.url)('avsc') as {
  Type: { forSchema(s: unknown): AvroType };
};
const types = new Map<number, Promise<AvroType>>();

/**
 * Decodes a record value in Confluent's Avro wire format the way a consumer does: the schema
 * id from bytes 1-4, that schema from the registry (`GET /schemas/ids/{id}`), then the Avro
 * binary after byte 5. Resolves with the id and the decoded record.
 */
export async function decodeAvro(
  registryUrl: string,
  bytes: Buffer,
): Promise<{ schemaId: number; value: unknown }> {
  if (bytes.length < 5 || bytes[0] !== 0) throw new Error('not in Confluent wire format');
  const schemaId = bytes.readInt32BE(1);
  let type = types.get(schemaId);
  if (!type) {
    type = fetch(`${registryUrl}/schemas/ids/${schemaId}`)
      .then((res) => res.json() as Promise<{ schema: string }>)
      .then(({ schema }) => avsc.Type.forSchema(JSON.parse(schema)));
    types.set(schemaId, type);
  }
  return { schemaId, value: (await type).fromBuffer(bytes.subarray(5)) };
}
