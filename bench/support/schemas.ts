/** The bench event's fields (`id`, `seq`, `payload`) as an Avro record, a Protobuf message and a JSON Schema. */
export const AVRO_SCHEMA = {
  type: 'record',
  name: 'BenchEvent',
  namespace: 'bench',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'seq', type: 'int' },
    { name: 'payload', type: 'string' },
  ],
};

export const PROTO_SCHEMA =
  'syntax = "proto3"; package bench; message BenchEvent { string id = 1; int32 seq = 2; string payload = 3; }';

export const JSON_SCHEMA = {
  type: 'object',
  properties: { id: { type: 'string' }, seq: { type: 'integer' }, payload: { type: 'string' } },
  required: ['id', 'seq', 'payload'],
};
