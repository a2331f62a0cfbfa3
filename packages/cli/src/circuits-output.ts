import type { CircuitBreaker } from '@stella-orch/client';
import { formatTime, renderFields, renderTable } from './output.js';

function scopeOf(breaker: CircuitBreaker): string {
  return breaker.sourceId === null ? `job type ${breaker.jobType ?? ''}` : `source ${breaker.sourceId}`;
}

function stateOf(breaker: CircuitBreaker): string {
  switch (breaker.state) {
    case 'closed':
      return 'closed';
    case 'open':
      return breaker.openUntil === null ? 'open' : `open until ${formatTime(breaker.openUntil)}`;
    case 'half_open':
      return `half-open (${breaker.probes.successes}/${breaker.probeLeases} probes succeeded)`;
  }
}

function windowOf(breaker: CircuitBreaker): string {
  const { successes, failures } = breaker.window;
  return `${failures} failed of ${successes + failures} in ${breaker.windowSeconds} s`;
}

function whenItOpens(breaker: CircuitBreaker): string {
  return `${Math.round(breaker.failureRatio * 1000) / 10} % of at least ${breaker.minVolume} attempts in ${breaker.windowSeconds} s`;
}

/** The breaker list: id, scope, state, window, version. */
export function renderCircuitBreakerList(breakers: readonly CircuitBreaker[]): string {
  if (breakers.length === 0) return 'No circuit breakers.';
  return renderTable(
    ['BREAKER ID', 'SCOPE', 'STATE', 'WINDOW', 'VERSION'],
    breakers.map((b) => [b.breakerId, scopeOf(b), stateOf(b), windowOf(b), String(b.version)]),
  );
}

/** One breaker, field by field. */
export function renderCircuitBreaker(breaker: CircuitBreaker): string {
  return renderFields([
    ['Breaker ID', breaker.breakerId],
    ['Scope', scopeOf(breaker)],
    ['State', stateOf(breaker)],
    ['State since', formatTime(breaker.stateChangedAt)],
    ['Window', windowOf(breaker)],
    [
      'Opened with',
      breaker.openedWith === null
        ? ''
        : `${breaker.openedWith.failures} failed of ${breaker.openedWith.attempts}`,
    ],
    ['Opens at', whenItOpens(breaker)],
    ['Cool-down', `${breaker.coolDownSeconds} s`],
    ['Probes', `${breaker.probeLeases} at once`],
    ['Version', String(breaker.version)],
    ['Created', `${formatTime(breaker.createdAt)} by ${breaker.createdBy}`],
    ['Updated', `${formatTime(breaker.updatedAt)} by ${breaker.updatedBy}`],
  ]);
}
