import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { SchemaRegistryOptions } from '../../interfaces/schema-registry.interface.js';

/** One HTTP answer: status and body text. */
export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * A request that got no answer: refused, reset, not answered within the timeout, or a TLS
 * handshake that failed verification (`fatal`: asking again cannot help).
 */
export class NoAnswer extends Error {
  constructor(
    reason: string,
    readonly fatal = false,
  ) {
    super(reason);
  }
}

/** Certificate verification failures: the registry's certificate is not one the client trusts. */
const TLS_VERIFY = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME/;

/** A socket error's text; an AggregateError (every address refused) has an empty message. */
function reasonOf(error: Error & { code?: string; errors?: Error[] }): string {
  if (error.message) return error.message;
  const inner = error.errors?.map((e) => e.message).filter(Boolean);
  return inner?.length ? inner.join('; ') : (error.code ?? String(error));
}

/** Keep-alive connections to one registry, with its TLS settings. */
export class RegistryHttp {
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(
    base: URL,
    private readonly timeoutMs: number,
    tls: SchemaRegistryOptions['tls'],
  ) {
    const https = base.protocol === 'https:';
    // Idle keep-alive sockets are unref'd by Node's agent: they never hold the process open.
    this.agent = https
      ? new HttpsAgent({ keepAlive: true, ...tls })
      : new HttpAgent({ keepAlive: true });
    this.send = https ? httpsRequest : httpRequest;
  }

  /** One attempt: resolves with any HTTP answer, rejects with NoAnswer when none came. */
  request(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body?: string,
  ): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (reason: string, fatal = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(new NoAnswer(reason, fatal));
      };
      const req = this.send(url, { method, headers, agent: this.agent }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error: Error) => fail(reasonOf(error)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      const timer = setTimeout(() => fail(`no answer within ${this.timeoutMs} ms`), this.timeoutMs);
      req.on('error', (error: Error & { code?: string }) =>
        fail(reasonOf(error), TLS_VERIFY.test(error.code ?? '')),
      );
      req.end(body);
    });
  }

  /** Closes the idle connections. */
  close(): void {
    this.agent.destroy();
  }
}
