// The coordinator's front door: accepts WebSockets, bounds what an unauthenticated peer may cost,
// runs the server side of the handshake, then hands an authenticated channel to the session layer.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Nacl } from '../../shared/crypto/index.js';
import { messageOf } from '../../shared/errors.js';
import type { Identity } from '../../shared/identity.js';
import type { Logger } from '../../shared/log.js';
import { WireError } from '../../shared/wire/errors.js';
import { encodeFrame, MAX_FRAME_BYTES } from '../../shared/wire/frame.js';
import { ServerHandshake, type Peer } from '../../shared/wire/handshake.js';
import { Channel, CLOSE_CODE_BASE, truncateReason } from '../../transport/channel.js';

export interface ListenerLimits {
  /** Connections that have not finished the handshake, at once. */
  maxUnauthenticated: number;
  /** Time from TCP accept to a completed handshake. */
  handshakeTimeoutMs: number;
  maxFrameBytes: number;
  /** Every open WebSocket, authenticated or not. */
  maxConnections: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  maxUnauthenticated: 256,
  handshakeTimeoutMs: 5_000,
  maxFrameBytes: MAX_FRAME_BYTES,
  maxConnections: 20_000,
};

export interface ListenerOptions {
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  identity: Identity;
  nacl: Nacl;
  logger: Logger;
  limits: ListenerLimits;
  /** Called with the proven peer; returns what the session needs, or throws a WireError refusal. */
  onAuthenticated: (peer: Peer, channel: Channel) => void;
}

export interface Listener {
  port: number;
  host: string;
  close(): Promise<void>;
  stats(): { open: number; unauthenticated: number };
}

export async function listen(options: ListenerOptions): Promise<Listener> {
  const { logger, limits } = options;
  const http: HttpServer = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }) : createHttpServer();
  http.headersTimeout = limits.handshakeTimeoutMs;
  http.requestTimeout = limits.handshakeTimeoutMs;
  http.maxConnections = limits.maxConnections;
  http.on('request', (_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain' }).end('Darkroom coordinator: connect with a Darkroom client over WebSocket\n');
  });
  closeSlowUpgrades(http, { timeoutMs: limits.handshakeTimeoutMs, tls: Boolean(options.tls) }, logger);
  const wss = new WebSocketServer({ server: http, maxPayload: limits.maxFrameBytes, perMessageDeflate: false, clientTracking: true });
  let unauthenticated = 0;

  wss.on('connection', (socket, request) => {
    // The raw socket, not the request: the closures below live as long as the connection.
    const stream = request.socket;
    const remote = `${stream.remoteAddress}:${stream.remotePort}`;
    if (unauthenticated >= limits.maxUnauthenticated) {
      refuse(socket, new WireError('TOO_MANY_CONNECTIONS', `Coordinator has ${unauthenticated} handshakes in progress (limit ${limits.maxUnauthenticated}): retry shortly`));
      logger.warn({ remote, unauthenticated }, 'refused connection: too many handshakes in progress');
      return;
    }
    unauthenticated++;
    let pending = true;
    const settle = () => {
      if (pending) {
        pending = false;
        unauthenticated--;
      }
    };
    const handshake = new ServerHandshake(options.nacl, options.identity);
    const timer = setTimeout(() => {
      logger.warn({ remote }, 'handshake timed out');
      refuse(socket, new WireError('HANDSHAKE_TIMEOUT', `Handshake not completed within ${limits.handshakeTimeoutMs} ms`));
    }, limits.handshakeTimeoutMs);
    let step: 'hello' | 'proof' = 'hello';
    const onMessage = (data: Buffer, isBinary: boolean) => {
      try {
        if (!isBinary) throw new WireError('MALFORMED_FRAME', 'Text frame received: Darkroom speaks binary protobuf frames only');
        if (step === 'hello') {
          socket.send(handshake.hello(data));
          step = 'proof';
          return;
        }
        const { peer, cipher } = handshake.proof(data);
        clearTimeout(timer);
        socket.off('message', onMessage);
        settle();
        const channel = new Channel(socket, cipher, logger.child({ peer: peer.fingerprint, remote }), { stream });
        try {
          options.onAuthenticated(peer, channel);
        } catch (error) {
          const wire = error instanceof WireError ? error : new WireError('INTERNAL', messageOf(error));
          logger.warn({ remote, peer: peer.fingerprint, code: wire.code, err: wire.message }, 'refused authenticated peer');
          channel.fail(wire);
        }
      } catch (error) {
        clearTimeout(timer);
        const wire = error instanceof WireError ? error : new WireError('HANDSHAKE_FAILED', messageOf(error));
        logger.warn({ remote, code: wire.code, err: wire.message }, 'handshake refused');
        refuse(socket, wire);
      }
    };
    socket.on('message', onMessage);
    socket.on('close', () => {
      clearTimeout(timer);
      settle();
    });
    socket.on('error', (error) => logger.debug({ remote, err: messageOf(error) }, 'socket error during handshake'));
  });
  wss.on('error', (error) => logger.error({ err: messageOf(error) }, 'websocket server error'));

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  return {
    port: address.port,
    host: address.address,
    stats: () => ({ open: wss.clients.size, unauthenticated }),
    close: () => new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => http.close(() => resolve()));
      http.closeAllConnections();
    }),
  };
}

/**
 * Closes a connection that has not completed its WebSocket upgrade within `timeoutMs`. Node's own
 * headersTimeout is only checked every 30 s, and was seen not to close dozens of sockets dripping
 * header bytes at all (slow-loris before the WebSocket handshake even starts). With TLS the clock
 * starts once the TLS handshake is done (the socket the upgrade arrives on).
 */
function closeSlowUpgrades(http: HttpServer, options: { timeoutMs: number; tls: boolean }, logger: Logger): void {
  const timers = new WeakMap<Duplex, NodeJS.Timeout>();
  http.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      logger.warn({ remote: `${socket.remoteAddress}:${socket.remotePort}` }, 'closing a connection that sent no complete WebSocket upgrade in time');
      socket.destroy();
    }, options.timeoutMs);
    timers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  http.on('upgrade', (_request, socket: Duplex) => clearTimeout(timers.get(socket)));
}

/** Sends a plaintext refusal (no session exists yet) and closes with the matching code. */
function refuse(socket: WebSocket, error: WireError): void {
  if (socket.readyState === socket.OPEN) {
    socket.send(encodeFrame({ error: error.toProto(true) }));
    socket.close(CLOSE_CODE_BASE + error.protoCode, truncateReason(error.message));
    setTimeout(() => socket.terminate(), 1_000).unref();
  } else {
    socket.terminate();
  }
}

