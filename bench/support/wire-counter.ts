import { Socket } from 'node:net';

/**
 * Counts Kafka requests on the wire, for every client alike: wraps `net.Socket#write` in the
 * worker process and parses the outgoing byte stream of each socket connected to a broker port
 * into frames (int32 size, int16 api key, ...). Produce requests (api key 0) give the
 * records-per-request figure without hooks into any client's internals. Only sockets whose
 * remote port is a broker port are parsed (stdout and IPC pipes are left alone).
 */
export class WireCounter {
  produceRequests = 0;
  otherRequests = 0;
  produceBytes = 0;
  private readonly ports: Set<number>;
  private readonly state = new WeakMap<
    Socket,
    { skip: number; head: Buffer | null; api: number }
  >();

  constructor(brokers: readonly string[]) {
    this.ports = new Set(brokers.map((b) => Number(b.slice(b.lastIndexOf(':') + 1))));
  }

  /** Starts counting; call before any client connects. */
  install(): void {
    type Write = (this: Socket, ...args: unknown[]) => boolean;
    const original = Reflect.get(Socket.prototype, 'write') as Write;
    const seen = (socket: Socket, chunk: unknown) => {
      if (chunk instanceof Uint8Array && this.ports.has(socket.remotePort ?? -1)) {
        this.scan(socket, chunk);
      }
    };
    const write: Write = function (this: Socket, ...args: unknown[]) {
      seen(this, args[0]);
      return original.apply(this, args);
    };
    Reflect.set(Socket.prototype, 'write', write);
  }

  reset(): void {
    this.produceRequests = 0;
    this.otherRequests = 0;
    this.produceBytes = 0;
  }

  private scan(socket: Socket, data: Uint8Array): void {
    const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let st = this.state.get(socket);
    if (!st) {
      st = { skip: 0, head: null, api: -1 };
      this.state.set(socket, st);
    }
    let off = 0;
    while (off < chunk.length) {
      if (st.skip > 0) {
        const n = Math.min(st.skip, chunk.length - off);
        st.skip -= n;
        off += n;
        if (st.api === 0) this.produceBytes += n;
        continue;
      }
      // A frame starts here: we need its 4-byte size and 2-byte api key.
      const have = st.head ? st.head.length : 0;
      const take = Math.min(6 - have, chunk.length - off);
      const part = chunk.subarray(off, off + take);
      st.head = st.head ? Buffer.concat([st.head, part]) : Buffer.from(part);
      off += take;
      if (st.head.length < 6) return;
      const size = st.head.readInt32BE(0);
      const api = st.head.readInt16BE(4);
      st.head = null;
      st.api = api;
      st.skip = Math.max(0, size - 2);
      if (api === 0) {
        this.produceRequests++;
        this.produceBytes += 6;
      } else {
        this.otherRequests++;
      }
    }
  }
}
