import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** How long requests in flight may take to finish once the server closes; then every connection is cut. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** How often a closing server looks for connections it may cut at once. */
const SWEEP_MS = 50;

/**
 * Closes an HTTP server without waiting on connections that cannot matter. Node's `server.close()` waits
 * for every connection not known to be idle, and a connection that never sent a request (a client's
 * spare connection, a TCP probe) is not: it would hold the shutdown until `headersTimeout` (60 s). Such
 * connections are cut as soon as the server stops listening; anything still open after the grace period
 * ({@link SHUTDOWN_GRACE_MS}; a request that does not end, a client that does not read its last response)
 * is cut then.
 */
export class ConnectionDrain {
  readonly #server: Server;
  readonly #graceMs: number;
  /** Connections that have not sent a request yet. */
  readonly #unused = new Set<Socket>();

  /**
   * @param server - the server to watch, from before it listens
   * @param graceMs - how long requests in flight may take once the server closes
   */
  constructor(server: Server, graceMs = SHUTDOWN_GRACE_MS) {
    this.#server = server;
    this.#graceMs = graceMs;
    server.on('connection', (socket: Socket) => {
      this.#unused.add(socket);
      socket.once('close', () => this.#unused.delete(socket));
    });
    server.on('request', (request: { socket: Socket }) => {
      this.#unused.delete(request.socket);
    });
  }

  /** Connections that have not sent a request yet. */
  get unused(): number {
    return this.#unused.size;
  }

  /** Runs `close` (which closes the server) while cutting the connections that would hold it. */
  async during(close: Promise<void>): Promise<void> {
    const sweep = setInterval(() => {
      if (!this.#server.listening) for (const socket of this.#unused) socket.destroy();
    }, SWEEP_MS);
    const cut = setTimeout(() => {
      this.#server.closeAllConnections();
    }, this.#graceMs);
    try {
      await close;
    } finally {
      clearInterval(sweep);
      clearTimeout(cut);
    }
  }
}
