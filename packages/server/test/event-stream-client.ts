import { request as httpRequest, type IncomingMessage } from 'node:http';
import { constants, createGunzip } from 'node:zlib';
import { WebSocket } from 'ws';

/** One parsed server-sent event. */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** A message of either transport, as the tests compare them. */
export interface StreamMessage {
  /** `subscribed`, `resync`, or the event type. */
  readonly kind: string;
  readonly position: string | undefined;
  readonly body: Record<string, unknown>;
}

/** Collects messages and lets a test wait for some. */
class Inbox {
  readonly messages: StreamMessage[] = [];
  #waiters: (() => void)[] = [];
  ended = false;

  push(message: StreamMessage): void {
    this.messages.push(message);
    this.#notify();
  }

  end(): void {
    this.ended = true;
    this.#notify();
  }

  /** Wakes waiters after something other than a message arrived. */
  touch(): void {
    this.#notify();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits until `done(messages)` holds (or the stream ended, or `timeoutMs` passed: then it throws). */
  async until(
    done: (messages: readonly StreamMessage[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<StreamMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.messages)) {
      if (this.ended) throw new Error(`the stream ended after ${this.messages.length} messages`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.messages.length} messages`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages;
  }

  /** The events received (no control messages). */
  events(): StreamMessage[] {
    return this.messages.filter((m) => m.kind !== 'subscribed' && m.kind !== 'resync');
  }
}

/** An SSE connection over node:http (so a test can stop reading, or cut the socket). */
export class SseConnection extends Inbox {
  readonly response: IncomingMessage;
  readonly comments: string[] = [];

  /** Whether the body came compressed (`Content-Encoding: gzip`). */
  readonly gzip: boolean;
  /** A compressed body's decoding error (a bad or missing trailer when the server ended the stream). */
  gzipError: Error | undefined;
  /** Whether a compressed body reached its trailer and the trailer checked out. */
  gzipComplete = false;

  private constructor(response: IncomingMessage) {
    super();
    this.response = response;
    this.gzip = response.headers['content-encoding'] === 'gzip';
    let body: NodeJS.ReadableStream = response;
    if (this.gzip) {
      // Decoded as it arrives: each write of the server is a segment that decodes on its own.
      const gunzip = createGunzip({ flush: constants.Z_SYNC_FLUSH });
      response.pipe(gunzip);
      // A cut connection never ends the decoder through the pipe: end it, which reports the missing end.
      response.on('close', () => {
        if (!gunzip.writableEnded) gunzip.end();
      });
      gunzip.on('end', () => {
        this.gzipComplete = true;
      });
      gunzip.on('error', (error) => {
        this.gzipError = error;
      });
      gunzip.on('close', () => {
        this.end();
      });
      body = gunzip;
    } else {
      response.on('close', () => {
        this.end();
      });
    }
    let buffer = '';
    body.setEncoding('utf8');
    body.on('data', (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        this.#parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    });
  }

  #parse(block: string): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line);
        this.touch();
      } else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length === 0) return;
    this.push({ kind: event, position: id, body: JSON.parse(data.join('\n')) as Record<string, unknown> });
  }

  /** Opens `url`; resolves once the head arrived (any status). */
  static open(url: string, headers: Record<string, string>): Promise<SseConnection> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        resolve(new SseConnection(response));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The status code of the answer. */
  get status(): number {
    return this.response.statusCode ?? 0;
  }

  /** Cuts the connection (as a crash or a network failure would). */
  cut(): void {
    this.response.destroy();
  }
}

/** A WebSocket stream connection. */
export class WsConnection extends Inbox {
  readonly socket: WebSocket;
  closeCode: number | undefined;

  private constructor(socket: WebSocket) {
    super();
    this.socket = socket;
    socket.on('message', (data: Buffer) => {
      const body = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      const type = body['type'] as string;
      const event = body['event'] as Record<string, unknown> | undefined;
      this.push({
        kind: type === 'event' ? String(event?.['eventType']) : type,
        position: body['position'] as string,
        body: event ?? body,
      });
    });
    socket.on('close', (code) => {
      this.closeCode = code;
      this.end();
    });
  }

  /**
   * Opens `url` (ws://…), offering `protocols` (`Sec-WebSocket-Protocol`) when given; rejects with the
   * HTTP status of a refused upgrade.
   */
  static open(url: string, headers: Record<string, string>, protocols: string[] = []): Promise<WsConnection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, protocols, { headers });
      const connection = new WsConnection(socket);
      socket.once('open', () => {
        resolve(connection);
      });
      socket.once('unexpected-response', (_req, res) => {
        reject(new Error(`HTTP ${res.statusCode ?? 0}`));
      });
      socket.once('error', reject);
    });
  }

  /** Cuts the connection without a close handshake. */
  cut(): void {
    this.socket.terminate();
  }
}
