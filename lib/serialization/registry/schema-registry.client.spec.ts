import { createServer } from 'node:net';
import { SchemaRegistryError } from '../../errors/schema-registry.error.js';
import { RegistryStub } from '../../../test/support/registry-stub.js';
import { TEST_TLS } from '../../../test/support/registry-stub-tls.js';
import { SchemaRegistryClient } from './schema-registry.client.js';

const AVRO = { schema: '{"type":"string"}' };

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<SchemaRegistryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SchemaRegistryError))
    throw new Error(`expected a SchemaRegistryError, got ${String(error)}`);
  return error;
}

describe('SchemaRegistryClient', () => {
  let stub: RegistryStub;
  beforeEach(async () => {
    stub = await new RegistryStub().start();
  });
  afterEach(() => stub.stop());

  const client = (extra = {}) =>
    new SchemaRegistryClient({
      url: `${stub.url}/`,
      retryBackoffMs: 1,
      retryBackoffMaxMs: 2,
      ...extra,
    });

  it('speaks the Confluent REST API: register, look up, latest, by id', async () => {
    const c = client();
    const id = await c.register('orders-value', AVRO);
    expect(await c.register('orders-value', AVRO)).toBe(id);
    expect(await c.lookup('orders-value', AVRO)).toEqual({
      subject: 'orders-value',
      id,
      version: 1,
      schema: AVRO.schema,
      schemaType: 'AVRO',
    });
    expect((await c.latest('orders-value')).id).toBe(id);
    expect(await c.schemaById(id)).toEqual({ schema: AVRO.schema, schemaType: 'AVRO' });
    await c.register('p-value', { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' });
    const posts = stub.requests.filter((r) => r.method === 'POST');
    expect(posts[0]).toMatchObject({
      path: '/subjects/orders-value/versions',
      body: JSON.stringify(AVRO),
    });
    expect(posts[0].headers['content-type']).toBe('application/vnd.schemaregistry.v1+json');
    expect(JSON.parse(posts.at(-1)!.body)).toEqual({
      schema: 'syntax = "proto3";',
      schemaType: 'PROTOBUF',
    });
  });

  it('sends basic auth from the options or the URL, and extra headers', async () => {
    await client({
      auth: { username: 'u', password: 'p w' },
      headers: { 'x-tenant': 't1' },
    }).register('s', AVRO);
    const url = stub.url.replace('http://', 'http://ann:s%40cret@');
    await new SchemaRegistryClient({ url }).register('s', AVRO);
    const [first, second] = stub.requests;
    expect(first.headers.authorization).toBe(`Basic ${Buffer.from('u:p w').toString('base64')}`);
    expect(first.headers['x-tenant']).toBe('t1');
    expect(second.headers.authorization).toBe(
      `Basic ${Buffer.from('ann:s@cret').toString('base64')}`,
    );
  });

  it('retries 5xx and 429 with backoff, then succeeds', async () => {
    stub.failures.push(503, 500, 429);
    expect(await client().register('s', AVRO)).toBe(1);
    expect(stub.requests).toHaveLength(4);
  });

  it('gives up after `retries` with a retriable error carrying status and URL', async () => {
    stub.failures.push(503, 503, 503);
    const error = await failure(client({ retries: 2 }).register('s', AVRO));
    expect(stub.requests).toHaveLength(3);
    expect(error).toMatchObject({
      retriable: true,
      status: 503,
      errorCode: 503,
      subject: 's',
      url: `${stub.url}/subjects/s/versions`,
    });
    expect(error.message).toBe(
      `the schema registry answered 503 to POST ${stub.url}/subjects/s/versions: stub 503`,
    );
  });

  it('does not retry a 4xx: a fatal error with the registry’s code and message', async () => {
    const error = await failure(client().lookup('missing', AVRO));
    expect(stub.requests).toHaveLength(1);
    expect(error).toMatchObject({
      retriable: false,
      status: 404,
      errorCode: 40401,
      registryMessage: "Subject 'missing' not found.",
    });
  });

  it('a registry that does not answer in timeoutMs is retriable and says so', async () => {
    stub.hang = true;
    const error = await failure(client({ timeoutMs: 50, retries: 1 }).register('s', AVRO));
    expect(stub.requests).toHaveLength(2);
    expect(error.retriable).toBe(true);
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(
      /did not answer POST http:\/\/127\.0\.0\.1:\d+\/subjects\/s\/versions \(2 attempts\): no answer within 50 ms/,
    );
  });

  it('a registry that is down: retriable, naming the URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const error = await failure(
      new SchemaRegistryClient({ url, retries: 1, retryBackoffMs: 1 }).latest('s'),
    );
    expect(error.retriable).toBe(true);
    expect(error.url).toBe(`${url}/subjects/s/versions/latest`);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('an unknown id, or a base URL that is not the API, is a fatal 404 naming the URL', async () => {
    expect(await failure(client().schemaById(99))).toMatchObject({ status: 404, retriable: false });
    const wrongBase = new SchemaRegistryClient({ url: `${stub.url}/apis/nothing` });
    const error = await failure(wrongBase.register('s', AVRO));
    expect(error.message).toContain(
      `answered 404 to POST ${stub.url}/apis/nothing/subjects/s/versions`,
    );
  });

  it('over HTTPS: trusts the certificate given as `ca`; an untrusted one is fatal at once', async () => {
    const secure = await new RegistryStub().start(TEST_TLS);
    try {
      const trusted = new SchemaRegistryClient({ url: secure.url, tls: { ca: TEST_TLS.cert } });
      expect(await trusted.register('s', AVRO)).toBe(1);
      const untrusted = new SchemaRegistryClient({ url: secure.url, retryBackoffMs: 1 });
      const error = await failure(untrusted.register('s', AVRO));
      expect(error.retriable).toBe(false);
      expect(error.message).toMatch(/\(1 attempt\): self[- ]signed certificate/);
      expect(secure.requests).toHaveLength(1);
    } finally {
      await secure.stop();
    }
  });
});
