import { createServer, connect, type Server, type Socket } from 'node:net';

/** What the proxy does to the traffic it forwards. All zero (the default) is a plain relay. */
export interface NetworkFaults {
  /** Delay added to every chunk, in both directions (order within a connection is kept). */
  latencyMs?: number;
  /** Extra random delay per chunk, uniform in [0, jitterMs]. */
  jitterMs?: number;
  /**
   * Probability, per chunk forwarded (a Kafka request or response is usually one chunk), that
   * the connection is reset (TCP RST on both sides) instead of forwarding it.
   */
  resetProbability?: number;
}

/** Counters since the proxy started. */
export interface ProxyStats {
  connections: number;
  resets: number;
  chunks: number;
  bytes: number;
}

interface Route {
  readonly id: number;
  readonly server: Server;
  readonly port: number;
  readonly target: () => number | undefined;
}

/** Bytes queued behind the latency per direction before the reading side is paused. */
const HIGH_WATER = 4 * 1024 * 1024;
/** Connections per route at most; more are refused (keeps a runaway client bounded). */
const MAX_CONNECTIONS = 256;

/**
 * A small TCP fault proxy for fault tests: one listener on 127.0.0.1 per broker, forwarding
 * each connection to that broker's port (looked up when the connection arrives, so the proxy can
 * start before the cluster does). `setFaults()` adds latency and random connection resets;
 * `close()` destroys every connection and listener. Brokers advertise the proxy ports (see the
 * harness' `externalAdvertisedPort`), so a client bootstrapped with `bootstrap` only ever talks
 * through the proxies.
 */
export class FaultProxy {
  private faults: Required<NetworkFaults> = { latencyMs: 0, jitterMs: 0, resetProbability: 0 };
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  readonly stats: ProxyStats = { connections: 0, resets: 0, chunks: 0, bytes: 0 };

  private constructor(private readonly routes: Route[]) {}

  /**
   * Listens on a free 127.0.0.1 port per broker id. `target(id)` gives the broker port to forward
   * to at connection time; while it is undefined, connections are closed at once.
   */
  static async start(
    ids: number[],
    target: (id: number) => number | undefined,
  ): Promise<FaultProxy> {
    const routes: Route[] = [];
    const proxy = new FaultProxy(routes);
    try {
      for (const id of ids) {
        const server = createServer((client) => proxy.accept(id, client));
        server.maxConnections = MAX_CONNECTIONS;
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve());
        });
        const address = server.address();
        if (address === null || typeof address === 'string') throw new Error('proxy: no port');
        routes.push({ id, server, port: address.port, target: () => target(id) });
      }
    } catch (error) {
      await proxy.close();
      throw error;
    }
    return proxy;
  }

  /** The proxy port in front of broker `id`. */
  port(id: number): number {
    const route = this.routes.find((r) => r.id === id);
    if (!route) throw new Error(`proxy: no route for broker ${id}`);
    return route.port;
  }

  /** Bootstrap list of every proxy: what the client under test is given. */
  get bootstrap(): string[] {
    return this.routes.map((r) => `127.0.0.1:${r.port}`);
  }

  /** Replaces the fault settings; applies to chunks forwarded from now on. */
  setFaults(faults: NetworkFaults): void {
    this.faults = { latencyMs: 0, jitterMs: 0, resetProbability: 0, ...faults };
  }

  /** Back to a plain relay. */
  clearFaults(): void {
    this.setFaults({});
  }

  /** Resets every open connection now (RST), e.g. to simulate a network blip. */
  resetAll(): void {
    for (const socket of [...this.sockets]) this.reset(socket);
  }

  /** Closes every listener and connection; pending delayed chunks are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await Promise.all(
      this.routes.map((r) => new Promise<void>((resolve) => r.server.close(() => resolve()))),
    );
  }

  private accept(id: number, client: Socket): void {
    const port = this.routes.find((r) => r.id === id)?.target();
    if (this.closed || port === undefined) {
      client.destroy();
      return;
    }
    this.stats.connections++;
    const upstream = connect({ host: '127.0.0.1', port });
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        // One side gone: the other follows, reset if this one was reset or failed, else closed
        // once what was forwarded to it is written (a half-open Kafka connection is of no use).
        const other = socket === client ? upstream : client;
        if (socket.errored) this.reset(other);
        else other.end();
      });
    }
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Forwards `from` to `to` chunk by chunk, with the current faults. */
  private pipe(from: Socket, to: Socket): void {
    let queued = 0;
    let releaseAt = 0;
    from.on('data', (chunk: Buffer) => {
      const { latencyMs, jitterMs, resetProbability } = this.faults;
      if (resetProbability > 0 && Math.random() < resetProbability) {
        this.stats.resets++;
        this.reset(from);
        this.reset(to);
        return;
      }
      this.stats.chunks++;
      this.stats.bytes += chunk.length;
      const delay = latencyMs + (jitterMs > 0 ? Math.random() * jitterMs : 0);
      if (delay <= 0 && queued === 0) {
        if (to.writable && !to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
        return;
      }
      // Never overtake an earlier chunk of this direction.
      releaseAt = Math.max(releaseAt, Date.now() + delay);
      queued += chunk.length;
      if (queued > HIGH_WATER) from.pause();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        queued -= chunk.length;
        if (to.writable) to.write(chunk);
        if (queued <= HIGH_WATER && from.isPaused()) from.resume();
      }, releaseAt - Date.now());
      this.timers.add(timer);
    });
  }

  private reset(socket: Socket): void {
    if (socket.destroyed) return;
    // resetAndDestroy sends a TCP RST (Node >= 18.3); destroy() would send a FIN.
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  }
}
