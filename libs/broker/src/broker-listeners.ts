import { type Server as HttpServer, createServer as createHttpServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { type AddressInfo, type Server as NetServer, type Socket, createServer as createNetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';

/** What a listener does with its sockets: admit each one on accept, then hand its MQTT stream over. */
export interface ConnectionHandler {
  /** On accept, before any handshake; false when the socket was closed instead. */
  admit(socket: Socket): boolean;
  /** The MQTT stream, with the accepted socket it runs over (the same one for plain TCP). */
  handle(stream: Duplex, socket: Socket, request?: IncomingMessage): void;
}

/** A bound listener: its public URL; stop accepting first, close what is left once the broker has let go. */
export interface Listener {
  url: string;
  stopAccepting(): void;
  close(): Promise<void>;
}

export const WEBSOCKET_PATH = '/mqtt';

/**
 * MQTT over TCP. Nagle off: MQTT packets are small and latency matters more than segment count.
 * The broker's client is made when the first bytes arrive: a socket that never sends any costs a
 * descriptor and a few hundred bytes, not a parser and its timers (bench:abuse, silent sockets).
 */
export function listenTcp(host: string, port: number, handler: ConnectionHandler): Promise<Listener> {
  const server = createNetServer({ noDelay: true });
  // One listener shared by every socket, as in `bind`. The bytes go back in front of the stream,
  // paused, for aedes to read on its own 'readable'.
  function firstBytes(this: Socket, chunk: Buffer): void {
    this.pause();
    this.unshift(chunk);
    handler.handle(this, this);
  }
  return bind(server, host, port, handler, 'mqtt', '', (socket) => socket.once('data', firstBytes));
}

/** PEM server certificate (chain) and key of the TLS listener. */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
}

/**
 * MQTT over TLS. A client certificate is asked for but not required, and not judged by
 * OpenSSL: the broker checks it at CONNECT against the trusted CAs (which change at run time)
 * and answers with a CONNACK code instead of a failed handshake.
 */
export function listenTls(host: string, port: number, tls: TlsCredentials, handler: ConnectionHandler): Promise<Listener> {
  const server = createTlsServer({ cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: false }, (socket) => {
    socket.setNoDelay(true);
    // The accepted TCP socket the TLS one wraps (what `admit` was given).
    handler.handle(socket, (socket as unknown as { _parent: Socket })._parent);
  });
  return bind(server, host, port, handler, 'mqtts');
}

/**
 * MQTT over WebSocket on `/mqtt` (MQTT 3.1.1 §6: binary frames, subprotocol "mqtt").
 * A frame may carry more than one MQTT packet, so the frame limit is twice the packet limit;
 * the packet limit itself is enforced on the MQTT stream.
 */
export async function listenWebSocket(host: string, port: number, maxPacketBytes: number, handler: ConnectionHandler): Promise<Listener> {
  const http = createHttpServer({ noDelay: true });
  const wss = new WebSocketServer({ server: http, path: WEBSOCKET_PATH, maxPayload: 2 * maxPacketBytes + 16 });
  wss.on('connection', (socket, request) => handler.handle(createWebSocketStream(socket), request.socket as Socket, request));
  // ws re-emits the HTTP server's errors (EADDRINUSE...); `bind` already answers those on the server itself.
  wss.on('error', () => undefined);
  const listener = await bind(http, host, port, handler, 'ws', WEBSOCKET_PATH);
  return {
    url: listener.url,
    stopAccepting: () => listener.stopAccepting(),
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await listener.close();
    },
  };
}

/**
 * Pending connections the kernel queues before accept (Node's default is 511). A fleet
 * reconnecting at once overflowed 511, devices saw no CONNACK and retried, and their
 * abandoned CONNECTs arrived late and took over the new sessions. Linux caps it at
 * net.core.somaxconn (4096 by default since 5.4).
 */
const LISTEN_BACKLOG = 4096;

function bind(
  server: NetServer | HttpServer,
  host: string,
  port: number,
  handler: ConnectionHandler,
  scheme: string,
  path = '',
  admitted?: (socket: Socket) => void,
): Promise<Listener> {
  const sockets = new Set<Socket>();
  // One listener shared by every socket: a closure (and `once` wrapper) per connection is ~200 bytes of each idle one (issue #3).
  function forget(this: Socket): void {
    sockets.delete(this);
  }
  // A peer that resets a socket before its first bytes (a load balancer's TCP health check does
  // exactly that) makes it emit 'error' with no other listener yet: unhandled, that ended the process.
  // The socket closes on its own; 'close' forgets it.
  function ignoreReset(): void {}
  server.on('connection', (socket: Socket) => {
    if (!handler.admit(socket)) return;
    sockets.add(socket);
    socket.on('error', ignoreReset);
    socket.on('close', forget);
    admitted?.(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const closed = new Promise<void>((done) => server.once('close', () => done()));
      resolve({
        url: `${scheme}://${shownHost}:${address.port}${path}`,
        stopAccepting: () => {
          if (server.listening) server.close();
        },
        close: async () => {
          if (server.listening) server.close();
          // Sessions are the broker's to close; whatever is left (handshakes, CONNECTs in progress) goes now.
          for (const socket of sockets) socket.destroy();
          await closed;
        },
      });
    });
  });
}
