import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request the stub saw. */
export interface StubRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/**
 * A small in-process HTTP server speaking the part of the Confluent Schema Registry REST API
 * the serializers use (register, look up, latest, schema by id), for unit tests of retries,
 * timeouts and caching. What real registries do is proven against Apicurio in the e2e specs.
 */
export class RegistryStub {
  readonly requests: StubRequest[] = [];
  /** Status codes to answer the next requests with, instead of the API (one per request). */
  readonly failures: number[] = [];
  /** When true, requests get no answer at all. */
  hang = false;
  private readonly schemas: { schema: string; schemaType?: string }[] = [];
  private readonly subjects = new Map<string, number[]>();
  private server?: Server;

  private https = false;

  get url(): string {
    const scheme = this.https ? 'https' : 'http';
    return `${scheme}://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Listens on a free loopback port; over HTTPS with `tls` (a key and certificate). */
  async start(tls?: { key: string; cert: string }): Promise<this> {
    const listener: RequestListener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const path = decodeURI(req.url ?? '');
        this.requests.push({ method: req.method ?? '', path, headers: req.headers, body });
        if (this.hang) return;
        const status = this.failures.shift();
        const [code, answer] =
          status === undefined
            ? this.answer(req.method ?? '', path, body)
            : [status, { error_code: status, message: `stub ${status}` }];
        res.writeHead(code, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(answer));
      });
    };
    this.https = tls !== undefined;
    this.server = tls ? createTlsServer(tls, listener) : createServer(listener);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private answer(method: string, path: string, body: string): [number, unknown] {
    let m: RegExpMatchArray | null;
    if (method === 'POST' && (m = path.match(/^\/subjects\/([^/]+)\/versions$/))) {
      const given = JSON.parse(body) as { schema: string; schemaType?: string };
      let id = this.schemas.findIndex((s) => s.schema === given.schema) + 1;
      if (id === 0) id = this.schemas.push(given);
      const versions = this.subjects.get(m[1]) ?? [];
      if (!versions.includes(id)) versions.push(id);
      this.subjects.set(m[1], versions);
      return [200, { id }];
    }
    if (method === 'POST' && (m = path.match(/^\/subjects\/([^/]+)$/))) {
      const versions = this.subjects.get(m[1]);
      if (!versions) return [404, { error_code: 40401, message: `Subject '${m[1]}' not found.` }];
      const given = JSON.parse(body) as { schema: string };
      const id = this.schemas.findIndex((s) => s.schema === given.schema) + 1;
      const version = versions.indexOf(id) + 1;
      if (version === 0) return [404, { error_code: 40403, message: 'Schema not found' }];
      return [200, { subject: m[1], id, version, schema: given.schema }];
    }
    if (method === 'GET' && (m = path.match(/^\/subjects\/([^/]+)\/versions\/latest$/))) {
      const versions = this.subjects.get(m[1]);
      if (!versions) return [404, { error_code: 40401, message: `Subject '${m[1]}' not found.` }];
      const id = versions[versions.length - 1];
      return [200, { subject: m[1], id, version: versions.length, ...this.schemas[id - 1] }];
    }
    if (method === 'GET' && (m = path.match(/^\/schemas\/ids\/(\d+)$/))) {
      const schema = this.schemas[Number(m[1]) - 1];
      return schema ? [200, schema] : [404, { error_code: 40403, message: 'Schema not found' }];
    }
    return [404, { error_code: 404, message: `no route ${method} ${path}` }];
  }
}
