// A loopback TCP proxy that can cut the network for real: when armed, the next matching chunk is
// forwarded only in part (the peer sees a frame end mid-way) and both sockets are destroyed.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

export type Direction = 'to-coordinator' | 'to-agent' | 'any';

export interface CutRequest {
  direction?: Direction;
  /** Only a chunk of at least this many bytes is cut (a result frame, not a heartbeat). */
  minBytes?: number;
}

export interface Cut {
  direction: Exclude<Direction, 'any'>;
  chunkBytes: number;
  forwardedBytes: number;
}

export class CutProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #armed: { request: CutRequest; done: (cut: Cut) => void } | null = null;
  connections = 0;
  readonly port: number;

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  /** Listens on an ephemeral loopback port and forwards every connection to `target`. */
  static async start(t: TestContext, target: { host: string; port: number }): Promise<CutProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new CutProxy(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => proxy.#pair(client, connect(target.port, target.host)));
    t.after(() => proxy.close());
    return proxy;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Resolves once a chunk matching `request` was cut mid-way and the connection dropped. */
  cutNext(request: CutRequest = {}): Promise<Cut> {
    return new Promise((resolve) => (this.#armed = { request, done: resolve }));
  }

  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #pair(client: Socket, upstream: Socket): void {
    this.connections++;
    const both = [client, upstream];
    for (const socket of both) {
      this.#sockets.add(socket);
      socket.on('error', () => both.forEach((s) => s.destroy()));
      socket.on('close', () => {
        this.#sockets.delete(socket);
        both.forEach((s) => s.destroy());
      });
    }
    client.on('data', (chunk: Buffer) => this.#forward(chunk, upstream, 'to-coordinator', both));
    upstream.on('data', (chunk: Buffer) => this.#forward(chunk, client, 'to-agent', both));
  }

  #forward(chunk: Buffer, to: Socket, direction: Cut['direction'], both: Socket[]): void {
    const armed = this.#armed;
    const matches = armed && (armed.request.direction ?? 'any') !== (direction === 'to-agent' ? 'to-coordinator' : 'to-agent') && chunk.length >= (armed.request.minBytes ?? 2);
    if (!armed || !matches) {
      to.write(chunk);
      return;
    }
    this.#armed = null;
    const forwardedBytes = Math.floor(chunk.length / 2);
    to.write(chunk.subarray(0, forwardedBytes), () => {
      both.forEach((s) => s.destroy());
      armed.done({ direction, chunkBytes: chunk.length, forwardedBytes });
    });
  }
}
