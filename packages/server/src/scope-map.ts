import type { PoolRoute, Scope } from '@stella-orch/core';

/** Routes that need no token: machine-readable documentation only. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['GET /openapi.json', 'HEAD /openapi.json']);

/**
 * The scope each API route requires (SPEC §3–4), by method and path as registered under the API prefix.
 * One table, so the whole access policy reads in one place; a route missing here fails the server's start
 * (deny by default), and a test checks that every route answers 401 without a token.
 */
export const ROUTE_SCOPES: Readonly<Record<string, Scope>> = {
  // Jobs
  'POST /jobs': 'orch:submit',
  'POST /jobs/batch': 'orch:submit',
  'GET /jobs': 'orch:read',
  'GET /jobs/summary': 'orch:read',
  'GET /jobs/:jobId': 'orch:read',
  'GET /jobs/:jobId/history': 'orch:read',
  'GET /jobs/:jobId/artifacts': 'orch:read',
  'GET /jobs/:jobId/dag': 'orch:read',
  'GET /jobs/:jobId/why': 'orch:read',
  'POST /jobs/:jobId/cancel': 'orch:operate',
  'POST /jobs/:jobId/retry': 'orch:operate',
  'POST /jobs/:jobId/replay': 'orch:operate',
  // The worker bridge
  'POST /leases': 'orch:worker',
  'POST /leases/heartbeat': 'orch:worker',
  'POST /leases/complete': 'orch:worker',
  'POST /leases/:leaseId/heartbeat': 'orch:worker',
  'POST /leases/:leaseId/progress': 'orch:worker',
  'POST /leases/:leaseId/artifacts': 'orch:worker',
  'POST /leases/:leaseId/complete': 'orch:worker',
  // Runs and dead letters
  'POST /runs': 'orch:submit',
  'GET /runs': 'orch:read',
  'GET /runs/:runId': 'orch:read',
  'GET /runs/:runId/dag': 'orch:read',
  'GET /deadletter': 'orch:read',
  'GET /deadletter/stats': 'orch:read',
  'GET /deadletter/summary': 'orch:read',
  'GET /deadletter/:entryId': 'orch:read',
  'POST /deadletter/:entryId/replay': 'orch:operate',
  'POST /deadletter/:entryId/resolve': 'orch:operate',
  'POST /jobs/replay': 'orch:operate',
  // Sources
  'POST /sources': 'orch:operate',
  'GET /sources': 'orch:read',
  'GET /sources/:sourceId': 'orch:read',
  'PATCH /sources/:sourceId': 'orch:operate',
  'POST /sources/:sourceId/enable': 'orch:operate',
  'POST /sources/:sourceId/disable': 'orch:operate',
  'POST /sources/:sourceId/pause': 'orch:operate',
  'POST /sources/:sourceId/resume': 'orch:operate',
  // Quotas (writes carry the token's quota_reason and, optionally, quota_ticket) and throttles
  'GET /quotas': 'orch:read',
  'POST /quotas': 'orch:quota',
  'GET /quotas/summary': 'orch:read',
  'GET /quotas/:quotaId': 'orch:read',
  'PUT /quotas/:quotaId': 'orch:quota',
  'DELETE /quotas/:quotaId': 'orch:quota',
  'POST /quotas/:quotaId/pause': 'orch:quota',
  'POST /quotas/:quotaId/resume': 'orch:quota',
  'GET /throttles': 'orch:read',
  'POST /throttles': 'orch:operate',
  'GET /throttles/:throttleId': 'orch:read',
  'POST /throttles/:throttleId/revoke': 'orch:operate',
  // Circuit breakers (their state moves by itself; operators change settings, delete, or reset to closed)
  'GET /circuit-breakers': 'orch:read',
  'POST /circuit-breakers': 'orch:operate',
  'GET /circuit-breakers/:breakerId': 'orch:read',
  'PUT /circuit-breakers/:breakerId': 'orch:operate',
  'DELETE /circuit-breakers/:breakerId': 'orch:operate',
  'POST /circuit-breakers/:breakerId/reset': 'orch:operate',
  // Backfills (writes carry the token's backfill_reason and backfill_ticket) and watermarks
  'POST /backfills': 'orch:backfill',
  'GET /backfills': 'orch:read',
  'GET /backfills/:backfillId': 'orch:read',
  'POST /backfills/:backfillId/pause': 'orch:backfill',
  'POST /backfills/:backfillId/resume': 'orch:backfill',
  'POST /backfills/:backfillId/cancel': 'orch:backfill',
  'GET /watermarks': 'orch:read',
  'GET /watermarks/:sourceId/:jobType': 'orch:read',
  // The audit trail (writes answer 405 to any reader)
  'GET /audit': 'orch:read',
  'GET /audit/verify': 'orch:read',
  'GET /audit/:auditId': 'orch:read',
  'POST /audit': 'orch:read',
  'PUT /audit': 'orch:read',
  'PATCH /audit': 'orch:read',
  'DELETE /audit': 'orch:read',
  'POST /audit/:auditId': 'orch:read',
  'PUT /audit/:auditId': 'orch:read',
  'PATCH /audit/:auditId': 'orch:read',
  'DELETE /audit/:auditId': 'orch:read',
  'POST /audit/checkpoints': 'orch:admin',
  'GET /audit/checkpoints/latest': 'orch:read',
  'GET /audit/export': 'orch:read',
  'GET /audit/export/manifest': 'orch:read',
  // The Authority's administration
  'GET /clients': 'orch:admin',
  'POST /clients': 'orch:admin',
  'POST /clients/:clientId/rotate-secret': 'orch:admin',
  'POST /clients/:clientId/disable': 'orch:admin',
  'POST /clients/:clientId/enable': 'orch:admin',
  'POST /signing-keys/rotate': 'orch:admin',
  // SLOs and incident mode
  'GET /slos': 'orch:read',
  'POST /slos': 'orch:operate',
  'GET /slos/:sloId': 'orch:read',
  'PATCH /slos/:sloId': 'orch:operate',
  'DELETE /slos/:sloId': 'orch:operate',
  'GET /slos/:sloId/burn-rate': 'orch:read',
  'GET /incidents': 'orch:read',
  'GET /incidents/:incidentId': 'orch:read',
  // The event streams
  'GET /events': 'orch:read',
  'GET /events/ws': 'orch:read',
  'GET /runs/:runId/events': 'orch:read',
};

/**
 * The routes a pool worker's token (tenant `*`, decision 0016 §6) may call, and how: `lease` runs for the
 * pool; `fenced` runs as the tenant `X-Stella-Tenant` names (required), the job's. Every other route
 * answers such a token 403 `FORBIDDEN`, so that no route but the pool lease runs for tenant `*`.
 */
export const POOL_ROUTES: Readonly<Record<string, PoolRoute>> = {
  'POST /leases': 'lease',
  'POST /leases/heartbeat': 'fenced',
  'POST /leases/complete': 'fenced',
  'POST /leases/:leaseId/heartbeat': 'fenced',
  'POST /leases/:leaseId/progress': 'fenced',
  'POST /leases/:leaseId/artifacts': 'fenced',
  'POST /leases/:leaseId/complete': 'fenced',
};

/** What a pool token may do on a route (by method and path as registered), or `undefined`: nothing. */
export function poolRouteOf(method: string, path: string): PoolRoute | undefined {
  return POOL_ROUTES[`${method} ${path}`];
}

/**
 * The scope of a route, or `null` for a public one.
 * @param method - the HTTP method
 * @param path - the path relative to the API prefix, as registered (`/jobs/:jobId`)
 * @throws Error for a route the table does not know (a programming error, found at start-up)
 */
export function scopeOfRoute(method: string, path: string): Scope | null {
  const key = `${method} ${path}`;
  if (PUBLIC_ROUTES.has(key)) return null;
  // Fastify adds HEAD for every GET.
  const scope = ROUTE_SCOPES[key] ?? (method === 'HEAD' ? ROUTE_SCOPES[`GET ${path}`] : undefined);
  if (scope === undefined)
    throw new Error(`no scope is declared for ${key} (packages/server/src/scope-map.ts)`);
  return scope;
}
