import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { problemFor, sendProblem } from '../problem.js';
import type { OrchestratorMetrics } from './orchestrator-metrics.js';

const BEARER = /^Bearer +(\S+)$/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Whether the Authorization header carries `token`, compared in constant time. */
function presents(authorization: string | undefined, token: string): boolean {
  const given = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/**
 * `GET /metrics` (Prometheus text), at the server root, outside the API and its token hook: open, or
 * behind one static bearer token of the configuration (the Authority's tokens are not asked for, so that
 * a scraper needs no client of its own). Also times every HTTP request of the app by route pattern.
 * Register before any route, so that the timing hook applies to all of them.
 */
export function registerMetricsRoutes(
  app: FastifyInstance,
  deps: { readonly metrics: OrchestratorMetrics; readonly bearerToken: string | null },
): void {
  const { metrics, bearerToken } = deps;
  if (!metrics.enabled) return;
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (bearerToken !== null && !presents(request.headers.authorization, bearerToken)) {
      const tokenGiven = request.headers.authorization !== undefined;
      return sendProblem(
        reply,
        problemFor(request, 'UNAUTHENTICATED', 'GET /metrics requires the metrics bearer token', {
          details: { tokenGiven },
        }),
      );
    }
    const text = await metrics.render();
    return reply.header('cache-control', 'no-store').type(metrics.contentType).send(text);
  });
}
