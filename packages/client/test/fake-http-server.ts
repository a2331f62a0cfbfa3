// A real HTTP server on an ephemeral port whose answers a test scripts: the protocol peer of the client in
// unit tests (the real orchestrator is exercised by the end-to-end suites).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the server received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
  readonly receivedAt: number;
  /** Aborts when the client goes away before the answer is sent. */
  readonly signal: AbortSignal;
}

/** What to answer: a status and JSON body (or raw text), or a destroyed socket. */
export interface FakeReply {
  readonly status?: number;
  readonly body?: unknown;
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Reset the connection instead of answering. */
  readonly destroy?: boolean;
}

/** Answers one request. */
export type FakeRoute = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

/** Looks at every request before the routes: a reply answers it in their place, `undefined` lets it through. */
export type FakeGuard = (request: RecordedRequest) => FakeReply | undefined;

/** An `application/problem+json` answer. */
export function problem(
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
): FakeReply {
  return {
    status,
    body: { type: `https://stella-ops.org/problems/${code}`, title: code, status, code, detail, ...extra },
    headers: { 'content-type': 'application/problem+json' },
  };
}

/** The scripted server. Routes registered later win over earlier ones. */
export class FakeHttpServer {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  readonly #routes: { method: string; pattern: RegExp; route: FakeRoute }[] = [];
  readonly #guards: FakeGuard[] = [];
  readonly #server: Server;
  #url = '';

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const abort = new AbortController();
        res.on('close', () => {
          if (!res.writableFinished) abort.abort();
        });
        const url = new URL(req.url ?? '/', 'http://fake');
        const text = Buffer.concat(chunks).toString('utf8');
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: parseBody(text, req.headers['content-type']),
          receivedAt: Date.now(),
          signal: abort.signal,
        };
        this.requests.push(recorded);
        void this.#answer(recorded).then((reply) => {
          if (reply.destroy === true) {
            req.socket.destroy();
            return;
          }
          const payload = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(payload);
        });
      });
    });
  }

  /** Starts a server on 127.0.0.1 and an ephemeral port. */
  static async start(): Promise<FakeHttpServer> {
    const fake = new FakeHttpServer();
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.#server.address() as AddressInfo;
    fake.#url = `http://127.0.0.1:${port}`;
    return fake;
  }

  /** The base URL, such as `http://127.0.0.1:43125`. */
  get url(): string {
    return this.#url;
  }

  /** Answers `method` requests whose path matches `path` (exactly, or the regular expression). */
  route(method: string, path: string | RegExp, route: FakeRoute): this {
    const pattern =
      typeof path === 'string' ? new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : path;
    this.#routes.unshift({ method, pattern, route });
    return this;
  }

  /** Adds a check run on every request before the routes (authentication, say). */
  guard(guard: FakeGuard): this {
    this.#guards.push(guard);
    return this;
  }

  /** The recorded requests of one method and path. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
    );
  }

  /** Stops the server, cutting open connections. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }

  async #answer(request: RecordedRequest): Promise<FakeReply> {
    for (const guard of this.#guards) {
      const reply = guard(request);
      if (reply !== undefined) return reply;
    }
    const match = this.#routes.find((r) => r.method === request.method && r.pattern.test(request.path));
    if (match === undefined) return problem(404, 'ROUTE_NOT_FOUND', `${request.method} ${request.path}`);
    try {
      return await match.route(request);
    } catch (error) {
      return problem(500, 'INTERNAL', error instanceof Error ? error.message : String(error));
    }
  }
}

/** A form body as an object of its fields, anything else as JSON (or the raw text when it is not JSON). */
function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  if (contentType?.startsWith('application/x-www-form-urlencoded') === true) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
