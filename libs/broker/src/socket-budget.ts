import type { Socket } from 'node:net';

export type SocketClosedReason = 'capacity' | 'evicted' | 'connect-timeout';

/**
 * Every socket of every MQTT listener (TCP, TLS, WebSocket) counts against the connection cap
 * (plus REFUSAL_ROOM) from the moment it is accepted, before its TLS handshake, WebSocket upgrade or CONNECT: a
 * socket that never sends CONNECT holds a file descriptor like a session does, and 21,000 of
 * them once took every descriptor the process had (issue #15).
 *
 * Sockets still waiting for CONNECT are kept in accept order. One that has waited
 * `connectTimeoutMs` is closed; and when the cap is reached, the one that has waited longest
 * makes room for the new one, so silent sockets can delay an honest device only if they arrive
 * faster than it can send its CONNECT. Sessions are never closed to make room: with every socket
 * a session, a new one is closed at once.
 */
export class SocketBudget {
  private readonly open = new Set<Socket>();
  /** Sockets without a CONNECT yet, oldest first, with the time each must have sent it by. */
  private readonly waiting = new Map<Socket, number>();
  private timer?: NodeJS.Timeout;
  private readonly release: (this: Socket) => void;

  constructor(
    private readonly cap: number,
    private readonly connectTimeoutMs: number,
    private readonly closed: (reason: SocketClosedReason) => void,
  ) {
    const budget = this;
    // One listener shared by every socket: a closure per connection is ~200 bytes of each idle one (issue #3).
    this.release = function release(this: Socket) {
      budget.forget(this);
    };
  }

  get openSockets(): number {
    return this.open.size;
  }

  get waitingSockets(): number {
    return this.waiting.size;
  }

  /** Called on accept; false when the socket was closed because there is no room for it. */
  admit(socket: Socket, now = Date.now()): boolean {
    if (this.open.size >= this.cap && !this.evictOldestWaiting()) {
      this.closed('capacity');
      socket.destroy();
      return false;
    }
    this.open.add(socket);
    this.waiting.set(socket, now + this.connectTimeoutMs);
    socket.once('close', this.release);
    this.timer ??= this.arm(now);
    return true;
  }

  /** The socket's CONNECT arrived: from now on aedes' own rules (keep-alive, drain) decide its fate. */
  connectArrived(socket: Socket): void {
    this.waiting.delete(socket);
  }

  /** Stops the deadline timer (sockets themselves are closed by their listeners). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private forget(socket: Socket): void {
    this.open.delete(socket);
    this.waiting.delete(socket);
  }

  private evictOldestWaiting(): boolean {
    const oldest = this.waiting.keys().next();
    if (oldest.done) return false;
    this.closeWaiting(oldest.value, 'evicted');
    return true;
  }

  private closeWaiting(socket: Socket, reason: SocketClosedReason): void {
    // Counted out now: 'close' comes a tick later, and the room is needed at once.
    this.forget(socket);
    this.closed(reason);
    socket.destroy();
  }

  /** One timer for all waiting sockets, set for the oldest one's deadline (they are in deadline order). */
  private arm(now: number): NodeJS.Timeout | undefined {
    const first = this.waiting.values().next();
    if (first.done) return undefined;
    const timer = setTimeout(() => this.expire(), Math.max(0, first.value - now));
    timer.unref();
    return timer;
  }

  private expire(): void {
    const now = Date.now();
    for (const [socket, deadline] of this.waiting) {
      if (deadline > now) break;
      this.closeWaiting(socket, 'connect-timeout');
    }
    this.timer = this.arm(now);
  }
}
