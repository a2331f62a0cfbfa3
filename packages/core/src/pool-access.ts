import { OrchestratorError, validationError } from './errors.js';
import { ANY_TENANT } from './oauth-client.js';

/**
 * What a route lets a pool worker's token (tenant `*`, decision 0016 §6) do:
 * - `lease`: `POST /leases` runs for the pool, drawing fairly from every tenant;
 * - `fenced`: a call on one lease (heartbeat, progress, artifacts, complete, and their batch forms) runs as
 *   the job's tenant, which the request names in `X-Stella-Tenant`; the lease id and fencing token remain
 *   the proof, so naming another tenant finds no such lease.
 * Every other route is closed to a pool token.
 */
export type PoolRoute = 'lease' | 'fenced';

/**
 * The tenant a request with a pool token runs as, on a route of kind `route` (`undefined`: any other
 * route), given its `X-Stella-Tenant` header. Never `*` except for the pool lease itself.
 * @throws OrchestratorError `FORBIDDEN` outside the worker bridge; `TENANT_MISMATCH` for a pool lease
 *   whose header names a tenant; `VALIDATION_FAILED` (`header.x-stella-tenant`) for a fenced call that
 *   names no tenant
 */
export function poolRequestTenant(route: PoolRoute | undefined, tenantHeader: string | undefined): string {
  if (route === undefined) {
    throw new OrchestratorError(
      'FORBIDDEN',
      'a pool token (tenant *) may only lease jobs and act on leases: use a tenant’s token for anything else',
    );
  }
  if (route === 'lease') {
    if (tenantHeader !== undefined && tenantHeader !== ANY_TENANT) {
      throw new OrchestratorError(
        'TENANT_MISMATCH',
        `X-Stella-Tenant names ${tenantHeader}, but a pool token leases for every tenant (send * or nothing)`,
      );
    }
    return ANY_TENANT;
  }
  if (tenantHeader === undefined || tenantHeader === ANY_TENANT) {
    throw validationError([
      {
        path: 'header.x-stella-tenant',
        message:
          'a pool token acts on a lease as the job’s tenant: send X-Stella-Tenant: <the job’s tenantId>',
      },
    ]);
  }
  return tenantHeader;
}
